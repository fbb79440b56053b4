# Shell functions shared by scripts/gpu-daemon-check, gpu-daemon-perf and
# gpu-daemon-ab (sourced, not run).

# link_bundle_source BUNDLE ROOT: a bundle's binaries look for the kernel ABI
# header, the allowlists, the skills tree and the ISA corpus under the source
# path they were configured in (BUNDLE/SOURCE_DIR); when that path is missing
# here, it is made a link to this tree.
link_bundle_source() {
  local src
  src=$(cat "$1/SOURCE_DIR")
  if [ "$src" != "$2" ] && [ ! -e "$src" ]; then mkdir -p "$(dirname "$src")" && ln -s "$2" "$src"; fi
}

# replay_bench ROOT BIN SECONDS OUT: the workload of the daemon's CPU-per-attempt
# figures (docs/bench-daemon.md): bench/daemon/throughput.py on CUDA, softmax and
# rmsnorm proposed by the replay proposer, pipelined, a /metrics scrape every
# 15 s, the window after 60 s of warm-up. Arguments after OUT go to
# throughput.py as they are (e.g. --compile-threads 4).
replay_bench() {
  python3 "$1/bench/daemon/throughput.py" --bin "$2" --backend cuda --arch sm_90a \
      --seconds "$3" --warmup 60 --modes pipelined --tasks-list softmax,rmsnorm \
      --proposer replay --scrape-every 15 --out "$4" "${@:5}"
}
