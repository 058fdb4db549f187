#!/usr/bin/env bash
# Codec micro-benchmarks (issue 6: JMH for the hot codec paths): the masking the agent does on every
# byte it sends over ws:// and the unmasking the relay does on every byte it receives, each against
# what it replaced. The benchmarks are src/test/java/**/*Benchmark.java; this builds them (mvn
# test-compile) and runs them with JMH. CODEC_BENCHMARKS picks some (a regex, e.g. 'Encoder'); CODEC_JMH
# replaces the run options (default: one fork, 3 warm-up and 5 measured iterations of 2 s; add
# "-p size=1024" for one frame size). Prints JMH's table and writes it to bench/results/codec-DATE.txt.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_traps
make_workdir
need_java
command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is needed to build the benchmarks"

log "building the benchmarks (mvn test-compile)"
(cd "$ROOT" && mvn -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test \
   -Dmdep.outputFile="$WORK/classpath") >"$WORK/build.log" 2>&1 || die "the build failed; see $WORK/build.log"

mkdir -p "$BENCH_DIR/results"
OUT="$BENCH_DIR/results/codec-$(date +%Y%m%d-%H%M%S).txt"
# Short iterations by default: three minutes in all. Netty's leak detector off, as the launcher has it.
# shellcheck disable=SC2086
java -cp "$ROOT/target/test-classes:$ROOT/target/classes:$(cat "$WORK/classpath")" org.openjdk.jmh.Main \
  ${CODEC_JMH:--f 1 -wi 3 -w 2s -i 5 -r 2s} -jvmArgsAppend "-Dio.netty.leakDetection.level=disabled" \
  -rf text -rff "$OUT" "${CODEC_BENCHMARKS:-dev\.portsicle\..*Benchmark}" | tee "$WORK/jmh.log"
log "written to $OUT"
