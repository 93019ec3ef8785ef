# bench/chart.gp: tasks/s per configuration, grouped per workload, log scale.
#   gnuplot -e "datafile='chart.dat'; outfile='tasks_per_s.png'" chart.gp
# chart.dat (written by report.py): a header row of configuration labels,
# then one row per workload; "?" marks a configuration that did not run.
# Bars are placed by hand (workload row * stride + column) so that a
# configuration missing everywhere leaves a gap instead of shifting the rest.
set terminal pngcairo size 1500,750 font "sans,10"
set output outfile
set datafile separator "\t"
set datafile missing "?"
set key autotitle columnheader
set title "procpool benchmark: tasks/s per configuration (log scale, higher is better)"
set ylabel "tasks/s"
set logscale y
set yrange [1:*]
set offsets 0, 0, graph 0.08, 0
set format y "10^{%L}"
set grid ytics mytics
set style fill solid 0.9 border -1
set boxwidth 0.9
set key outside right top vertical
set xtics nomirror scale 0 font "sans,12"
set xrange [-1:*]
ncols = 12
stride = ncols + 2
# direct / lockstep: greys; procpool: blues and greens; per-task tools: reds;
# persistent peers: orange and gold.
array colors[ncols] = ["#555555", "#a07850", "#c8a078", \
	"#9ecae1", "#4292c6", "#a1d99b", "#238b45", "#00441b", \
	"#e34a33", "#b30000", "#fd8d3c", "#e6b800"]
fmt(v) = v >= 100 ? sprintf("%.0f", v) : sprintf("%.1f", v)
plot for [c=2:ncols+1] datafile using ($0*stride + c - 2):c with boxes \
	lc rgb colors[c-1] title columnheader(c), \
	for [c=2:ncols+1] datafile using ($0*stride + c - 2):c:(fmt(column(c))) \
	with labels rotate by 90 left offset 0,0.4 font "sans,8" notitle, \
	datafile using ($0*stride + (ncols-1)/2.0):(NaN):xtic(1) notitle
