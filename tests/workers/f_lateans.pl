#!/usr/bin/perl
# f_lateans.pl: reads a task, then works on it for ever; answers only when
# it is told to stop (SIGTERM). An answer that comes too late to count.
$| = 1;
$SIG{TERM} = sub { print "late\n"; exit 0 };
while (<STDIN>) {
	sleep 300;
}
