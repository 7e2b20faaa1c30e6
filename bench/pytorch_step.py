#!/usr/bin/env python3
"""PyTorch anchor for `manytask perf` (optional; never needed by manytask itself).

Times the equal-weight training step of the benchmark model of PERFORMANCE.md section 2 in
PyTorch on the CPU: X[B, 256] -> Linear 256->512 -> ReLU -> Linear 512->512 -> ReLU = Z, K heads
Linear 512->16, MSE loss per head (mean over all elements), losses summed, SGD. A step is
zero_grad, forward, backward, optimizer step, and one host read of the loss (as in manytask).

Threads: OpenBLAS keeps its own pool, so torch.set_num_threads alone is not enough; this script
sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / OMP_WAIT_POLICY=PASSIVE from --threads *before*
importing torch (PERFORMANCE.md section 5). On Debian/Ubuntu:
    apt-get install python3-torch libopenblas0-pthread

Usage: python3 bench/pytorch_step.py [--k 2,4,8] [--threads 1] [--batch 1024] [--reps 9]
                                     [--warmup 2] [--json]
"""
import argparse
import json
import os
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--k", default="2,4,8", help="comma-separated task counts")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--reps", type=int, default=9)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p.parse_args()


def main():
    args = parse_args()
    n = str(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = n
    os.environ["OMP_NUM_THREADS"] = n
    os.environ["MKL_NUM_THREADS"] = n
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        os.environ.pop(var, None)
    try:
        import torch  # noqa: E402  (after the thread variables on purpose)
    except ImportError as err:
        print(f"pytorch_step.py: torch is not installed ({err}); "
              "on Debian/Ubuntu: apt-get install python3-torch libopenblas0-pthread",
              file=sys.stderr)
        return 3
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    d_in, hidden, out = 256, 512, 16
    results = []
    for k in [int(s) for s in args.k.split(",")]:
        trunk = torch.nn.Sequential(
            torch.nn.Linear(d_in, hidden), torch.nn.ReLU(),
            torch.nn.Linear(hidden, hidden), torch.nn.ReLU())
        heads = torch.nn.ModuleList([torch.nn.Linear(hidden, out) for _ in range(k)])
        params = list(trunk.parameters()) + list(heads.parameters())
        opt = torch.optim.SGD(params, lr=1e-3)
        x = torch.randn(args.batch, d_in)
        ys = [torch.randn(args.batch, out) for _ in range(k)]

        def step():
            opt.zero_grad(set_to_none=True)
            z = trunk(x)
            loss = sum(torch.nn.functional.mse_loss(h(z), y) for h, y in zip(heads, ys))
            loss.backward()
            opt.step()
            return loss.item()

        for _ in range(args.warmup):
            step()
        wall, cpu = [], []
        for _ in range(args.reps):
            c0 = time.process_time()
            t0 = time.perf_counter()
            step()
            wall.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
        wall.sort()
        cpu.sort()
        p_matmul = d_in * hidden + hidden * hidden + k * hidden * out
        med = wall[len(wall) // 2]
        results.append({
            "k": k, "ms": round(med, 2), "minMs": round(wall[0], 2), "maxMs": round(wall[-1], 2),
            "cpuMs": round(cpu[len(cpu) // 2], 2),
            "gflops": round(6 * args.batch * p_matmul / (med * 1e6), 1),
        })
    info = {
        "torch": torch.__version__, "threads": args.threads, "batch": args.batch,
        "blas": torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0]
        if "BLAS_INFO=" in torch.__config__.show() else "unknown",
        "results": results,
    }
    if args.json:
        print(json.dumps(info))
    else:
        print(f"PyTorch {info['torch']} ({info['blas']} BLAS), {args.threads} thread(s), B={args.batch}")
        for r in results:
            print(f"  K={r['k']}: {r['ms']} ms (min {r['minMs']}, cpu {r['cpuMs']}), {r['gflops']} GFLOP/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
