# tests/sshd.bash: private OpenSSH servers on loopback addresses, for tests
# of workers that run over ssh. Load it after the helper:
#
#   load '../helper'
#   load '../sshd'
#
#   sshd_start_hosts N [LINE...]  start fake hosts 127.0.0.2 .. 127.0.0.(N+1)
#   sshd_start ADDR [LINE...]     start one fake host on ADDR (127.0.0.2 and up);
#                                 each LINE goes into its sshd_config, before
#                                 the fixture's own lines, so it wins (sshd
#                                 keeps the first value of a keyword); no Match
#   $SSH_CONFIG                   client config: `ssh -F "$SSH_CONFIG" ADDR CMD`
#                                 reaches every fake host as $SSHD_USER, with
#                                 no prompt (the fake hosts' key is known)
#   sshd_stop ADDR                the host dies: its listener and every process
#                                 of its sessions are killed (connections drop)
#   sshd_freeze ADDR              the host goes silent: the same processes are
#                                 stopped (SIGSTOP), connections stay open and
#                                 nothing answers, as on a cut link
#   sshd_thaw ADDR                SIGCONT: a frozen host answers again
#   sshd_port ADDR                the port the host listens on
#   sshd_pids ADDR                every process of the host, parents first
#   sshd_orphans ADDR             processes of the host whose session is gone
#                                 (on a real host their parent would be init)
#
# The first call in a test skips it (bats `skip`) unless it runs as root
# with openssh-server installed, and sets up what every host shares: a temp
# dir, a host key, a client key and the test user ($SSHD_USER, shell /bin/sh,
# so no rc file of root's runs on each connect; created once and left in
# place, like the packages tests/run installs). The helper's teardown is
# wrapped so that each test stops its hosts, by pid, and removes the dir:
# start hosts in the test (or in setup), never in setup_file.
#
# Each host is `sshd -D` under a small reaper that is the host's child
# subreaper: a process of the host orphaned by a dying session (a busy remote
# worker, say) is re-parented to the reaper rather than to init, so it stays
# findable as a descendant of the host (sshd_stop kills it too) and is
# reaped as soon as it dies. The reaper exits once the host has no process
# left. Every address is in 127.0.0.0/8: ssh refuses any other.

SSHD_USER=procpool-ssh
: "${SSHD_BIN:=/usr/sbin/sshd}"
# The system's python3 for the reaper: a version manager's shim in PATH
# (pyenv) can cost 100 ms per start, more than sshd itself takes.
SSHD_PYTHON=/usr/bin/python3
[[ -x $SSHD_PYTHON ]] || SSHD_PYTHON=python3

# Seconds a host may take to start or to vanish once killed.
: "${SSHD_TIMEOUT:=10}"

# sshd_init: once per test, before the first host starts (skips the test
# when the fixture cannot run here).
sshd_init() {
	[[ -n ${SSHD_DIR:-} ]] && return 0
	[[ $(id -u) == 0 ]] || skip "private sshd instances need root"
	[[ -x $SSHD_BIN ]] || skip "openssh-server is not installed (tests/run installs it)"
	command -v ssh >/dev/null || skip "openssh-client is not installed (tests/run installs it)"
	sshd_user_ensure
	# sshd's privilege-separation directory; /run is emptied at boot.
	mkdir -p /run/sshd
	SSHD_DIR=$(mktemp -d "${BATS_TMPDIR:-/tmp}/procpool-sshd.XXXXXX")
	# The test user reads the authorized keys from here.
	chmod 755 "$SSHD_DIR"
	ssh-keygen -q -t ed25519 -N '' -C procpool-test-host -f "$SSHD_DIR/host_key"
	ssh-keygen -q -t ed25519 -N '' -C procpool-test-client -f "$SSHD_DIR/client_key"
	# Every host shares the host key: known at any loopback address and
	# port, so ssh checks it and says nothing (as with a real, known host).
	echo "[127.*]:* $(cut -d' ' -f1,2 "$SSHD_DIR/host_key.pub")" >"$SSHD_DIR/known_hosts"
	SSH_CONFIG=$SSHD_DIR/ssh_config
	sshd_write_client_config
	# Else every login fails with a bare "Permission denied (publickey)".
	runuser -u "$SSHD_USER" -- test -r "$SSHD_DIR/client_key.pub" ||
		fail "$SSHD_USER cannot read $SSHD_DIR/client_key.pub (a TMPDIR closed to others?)"
}

# sshd_user_ensure: the test user exists. Password field '*', not '!': with
# PAM off, sshd takes '!' for a locked account and refuses even a key.
sshd_user_ensure() {
	id -u "$SSHD_USER" >/dev/null 2>&1 && return 0
	# Another suite may be creating it at the same moment: then it exists.
	useradd --system --no-create-home --home-dir / --shell /bin/sh \
		--password '*' --comment 'procpool remote tests' "$SSHD_USER" 2>/dev/null ||
		id -u "$SSHD_USER" >/dev/null ||
		fail "could not create the test user $SSHD_USER"
}

# sshd_start_hosts N [LINE...]: start 127.0.0.2 .. 127.0.0.(N+1), each with
# the same extra config LINEs.
sshd_start_hosts() {
	local i
	for ((i = 2; i < $1 + 2; i++)); do
		sshd_start "127.0.0.$i" "${@:2}"
	done
}

# sshd_start ADDR [LINE...]: start a fake host listening on ADDR and a
# random port (another suite may hold any fixed one), and add it to
# $SSH_CONFIG. Fails the test with sshd's log if it does not come up.
sshd_start() {
	local addr=$1 dir port
	shift
	sshd_init
	sshd_is_loopback "$addr" || fail "sshd_start: $addr is not in 127.0.0.0/8"
	dir=$SSHD_DIR/$addr
	[[ ! -e $dir/reaper.pid ]] || fail "sshd_start: $addr is already running"
	rm -rf "$dir"
	mkdir "$dir"
	for _ in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		{
			printf '%s\n' "$@"
			sshd_config_lines "$addr" "$port" "$dir"
		} >"$dir/sshd_config"
		: >"$dir/log"
		# 3>&-: bats' output fd must not stay open in a process that outlives the test body.
		"$SSHD_PYTHON" -c "$SSHD_REAPER" "$SSHD_BIN" -D -f "$dir/sshd_config" -E "$dir/log" \
			</dev/null >/dev/null 2>>"$dir/log" 3>&- &
		echo "$!" >"$dir/reaper.pid"
		if sshd_wait_listening "$dir"; then
			echo "$port" >"$dir/port"
			sshd_write_client_config
			return 0
		fi
		grep -q 'Address already in use' "$dir/log" || break
	done
	fail "sshd for $addr did not start; its log:
$(cat "$dir/log")"
}

# The reaper: child subreaper (prctl PR_SET_CHILD_SUBREAPER = 36), runs sshd
# as its child, reaps every process that ends up its child, exits when none is left.
SSHD_REAPER='
import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:
    sys.exit("sshd reaper: prctl: " + os.strerror(ctypes.get_errno()))
if os.fork() == 0:
    os.execv(sys.argv[1], sys.argv[1:])
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
'

# sshd_config_lines ADDR PORT DIR: the fixture's sshd_config for one host.
sshd_config_lines() {
	cat <<EOF
ListenAddress $1
Port $2
HostKey $SSHD_DIR/host_key
PidFile $3/sshd.pid
AuthorizedKeysFile $SSHD_DIR/client_key.pub
# The keys live in a temp dir that is not the user's.
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
PrintMotd no
PrintLastLog no
EOF
}

# sshd_wait_listening DIR: true once the host's sshd wrote its pid file
# (it does so after binding its address); false if it exited first.
sshd_wait_listening() {
	local reaper deadline=$((SECONDS + SSHD_TIMEOUT))
	reaper=$(<"$1/reaper.pid")
	until [[ -s $1/sshd.pid ]]; do
		if pid_is_gone_or_zombie "$reaper" || ((SECONDS > deadline)); then
			kill -KILL "$reaper" 2>/dev/null || true
			wait "$reaper" 2>/dev/null || true
			rm "$1/reaper.pid"
			return 1
		fi
		sleep 0.01
	done
}

# sshd_write_client_config: $SSH_CONFIG for every host started in this test.
# Any other loopback address gets port 1, where nothing listens: it is
# refused at once (a host that is down), never the machine's own sshd.
sshd_write_client_config() {
	local dir
	{
		for dir in "$SSHD_DIR"/127.*; do
			[[ -e $dir/port ]] || continue
			printf 'Host %s\n\tPort %s\n' "${dir##*/}" "$(<"$dir/port")"
		done
		cat <<EOF
Match host "*,!127.*"
	ProxyCommand sh -c 'echo "tests/sshd.bash: %h is not a loopback address" >&2; exit 1'
Host *
	Port 1
	User $SSHD_USER
	IdentityFile $SSHD_DIR/client_key
	IdentitiesOnly yes
	BatchMode yes
	StrictHostKeyChecking yes
	UserKnownHostsFile $SSHD_DIR/known_hosts
	GlobalKnownHostsFile /dev/null
	CheckHostIP no
	UpdateHostKeys no
	ConnectTimeout 10
EOF
	} >"$SSH_CONFIG"
}

sshd_port() {
	cat "$SSHD_DIR/$1/port"
}

sshd_is_loopback() {
	[[ $1 =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]]
}

# sshd_pids ADDR: pids of the host's listener and every process of its
# sessions (all descendants of its reaper), parents first; none once it stopped.
sshd_pids() {
	local file=$SSHD_DIR/$1/reaper.pid
	[[ -d $SSHD_DIR/$1 ]] || fail "sshd_pids: no host $1 was started"
	[[ -e $file ]] || return 0
	ps -e -o pid= -o ppid= | awk -v root="$(<"$file")" '
		{ kids[$2] = kids[$2] " " $1 }
		END {
			n = 1; queue[1] = root
			for (i = 1; i <= n; i++) {
				m = split(kids[queue[i]], k, " ")
				for (j = 1; j <= m; j++) queue[++n] = k[j]
			}
			for (i = 2; i <= n; i++) print queue[i]
		}'
}

# sshd_orphans ADDR: pids of the host's processes that outlived their
# session: children of the reaper other than the listener.
sshd_orphans() {
	local dir=$SSHD_DIR/$1
	[[ -e $dir/reaper.pid ]] || return 0
	ps -e -o pid= -o ppid= |
		awk -v reaper="$(<"$dir/reaper.pid")" -v listener="$(<"$dir/sshd.pid")" \
			'$2 == reaper && $1 != listener { print $1 }'
}

# sshd_signal ADDR SIG: send SIG to every process of the host until no new
# one appears (a session may fork while the others are being stopped). The
# listener goes first, so that no new session starts meanwhile.
sshd_signal() {
	local before after=
	# Stopped: its pids may name other processes by now.
	[[ -e $SSHD_DIR/$1/reaper.pid ]] || return 0
	kill "-$2" "$(<"$SSHD_DIR/$1/sshd.pid")" 2>/dev/null || true
	while :; do
		before=$after
		after=$(sshd_pids "$1")
		[[ $after != "$before" ]] || break
		# shellcheck disable=SC2086
		kill "-$2" $after 2>/dev/null || true
	done
}

# sshd_freeze ADDR / sshd_thaw ADDR: stop or continue every process of the host.
sshd_freeze() {
	sshd_signal "$1" STOP
}

sshd_thaw() {
	sshd_signal "$1" CONT
}

# sshd_stop ADDR: kill every process of the host at once, frozen first so
# that none sees another die and reacts; waits until the reaper has reaped
# them all and exited. Its address stays in $SSH_CONFIG: connecting there
# is refused from now on.
sshd_stop() {
	local file=$SSHD_DIR/$1/reaper.pid reaper
	[[ -e $file ]] || return 0
	reaper=$(<"$file")
	sshd_freeze "$1"
	# shellcheck disable=SC2046
	kill -KILL $(sshd_pids "$1") 2>/dev/null || true
	wait_for "$SSHD_TIMEOUT" pid_is_gone_or_zombie "$reaper"
	wait "$reaper" 2>/dev/null || true
	# Gone: the pid may name another process from now on.
	rm "$file"
}

# sshd_teardown: stop every host of this test and remove the fixture's dir.
sshd_teardown() {
	local dir
	[[ -n ${SSHD_DIR:-} ]] || return 0
	for dir in "$SSHD_DIR"/127.*; do
		if [[ -d $dir ]]; then sshd_stop "${dir##*/}"; fi
	done
	rm -rf "$SSHD_DIR"
	unset SSHD_DIR SSH_CONFIG
}

# Wrap the helper's teardown (bats has one teardown per file). The helper's
# goes first: a procpool left running would start ssh after ssh to the
# hosts going down.
declare -F teardown >/dev/null || {
	echo "tests/sshd.bash: load '../helper' first" >&2
	return 1
}
eval "sshd_helper_$(declare -f teardown)"
teardown() {
	local st=0
	sshd_helper_teardown || st=$?
	sshd_teardown || st=$?
	return "$st"
}
