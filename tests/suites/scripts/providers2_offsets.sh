#!/bin/sh
# pid probes on every instruction of go() in scripts/pid_prog.c, which is straight-line code run
# once: the offsets tracer lists for a glob and the offset probes that fire are those objdump
# decodes, each once. Usage: providers2_offsets.sh TRACER
set -e
tracer=$1
dir=$(mktemp -d)
trap 'rm -r "$dir"' EXIT
gcc -O1 -o "$dir/pid_prog" scripts/pid_prog.c
start=$(nm "$dir/pid_prog" | awk '$3 == "go" { print $1 }')
objdump -d --no-show-raw-insn --disassemble=go "$dir/pid_prog" |
	sed -n 's/^ *\([0-9a-f]*\):.*/\1/p' |
	while read -r address; do printf '%x\n' $((0x$address - 0x$start)); done |
	sort >"$dir/decoded"
"$tracer" -qn 'pid$target:a.out:go:* /probename != "entry" && probename != "return"/ { printf("%s\n", probename); }' -c "$dir/pid_prog" |
	grep -v '^sum ' | grep . | sort >"$dir/fired"
"$tracer" -l -n 'pid$target:a.out:go:1*' -c "$dir/pid_prog" |
	awk 'NR > 1 { print $5 }' | sort >"$dir/listed"
grep '^1' "$dir/decoded" >"$dir/decoded_1" || true
echo "decoded $(wc -l <"$dir/decoded") instructions"
cmp -s "$dir/decoded" "$dir/fired" && echo "fired: every offset once, as decoded"
cmp -s "$dir/decoded_1" "$dir/listed" && echo "listed for 1*: $(tr '\n' ' ' <"$dir/listed")"
