"""Peak RSS growth per synapse while building a shipped protocol (issue 19, item 4).

    python -m benchmarks.build_memory 100000 [--protocol cuba|coba|cobahh] [--float32]

Builds at N = 2000 first (so that loading the compiled kernels is not counted), then at N; prints
the stored bytes per synapse and the growth of the peak RSS over the build per synapse. Run one
size per process: the peak RSS never decreases."""
import argparse

from benchmarks.common import peak_rss_mb, protocol_simulator, rss_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="neurons (80 %% E, 20 %% I; 80 synapses per neuron above 4000)")
    parser.add_argument("--protocol", default="cuba", choices=["cuba", "coba", "cobahh"])
    parser.add_argument("--float32", action="store_true", help="weight_dtype: float32 on the 4 connections")
    args = parser.parse_args()
    sets = [f"network.connections.{k}.weight_dtype=float32" for k in range(4)] if args.float32 else []
    spec = {"n": 2000, "dt": 1e-4, "threads": 1, "sets": sets}
    protocol_simulator(args.protocol, spec)
    rss0 = rss_mb()
    sim = protocol_simulator(args.protocol, dict(spec, n=args.n))
    growth = peak_rss_mb() - rss0
    projections = sim.network.projections
    n_syn = sum(p.n_synapses for p in projections)
    stored = sum(p.nbytes() for p in projections)
    print(f"{args.protocol} N = {args.n}, {n_syn} synapses, weights {projections[0].weights.dtype}: "
          f"stored {stored / n_syn:.2f} B/synapse, peak RSS growth over the build {growth * 1e6 / n_syn:.2f} B/synapse")


if __name__ == "__main__":
    main()
