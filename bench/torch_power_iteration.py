"""Top Hessian eigenvalue by power iteration with autograd Hessian-vector products, as PyHessian does
(Yao et al. 2020, pyhessian/hessian.py: eigenvalues(maxIter=100, tol=1e-3), full-dataset products summed
over batches weighted by batch size). Used by bench/curvature.ts on the same weights and data.

Usage: python3 torch_power_iteration.py DIR LOSS   (DIR holds X, y, W1, b1, W2, b2 as .npy; LOSS is mse or ce)
Prints one JSON object.
"""
import json
import os
import sys
import time

import numpy as np
import torch

MAX_ITER = 100
TOL = 1e-3
BATCH_ROWS = 8192


def main() -> None:
    directory, loss_kind = sys.argv[1], sys.argv[2]
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    load = lambda name: torch.from_numpy(np.load(os.path.join(directory, name + '.npy')))
    x, y = load('X'), load('y')
    params = [load(name).clone().requires_grad_(True) for name in ('W1', 'b1', 'W2', 'b2')]
    w1, b1, w2, b2 = params
    if loss_kind == 'ce':
        y = y.long().reshape(-1)
    else:
        y = y.reshape(x.shape[0], -1)

    def batch_loss(start: int, stop: int) -> torch.Tensor:
        f = torch.relu(x[start:stop] @ w1.T + b1) @ w2.T + b2
        if loss_kind == 'ce':
            return torch.nn.functional.cross_entropy(f, y[start:stop])
        return ((f - y[start:stop]) ** 2).sum(dim=1).mean()

    n = x.shape[0]

    def hessian_vector_product(v):
        total = [torch.zeros_like(p) for p in params]
        for start in range(0, n, BATCH_ROWS):
            stop = min(n, start + BATCH_ROWS)
            loss = batch_loss(start, stop)
            grads = torch.autograd.grad(loss, params, create_graph=True)
            hv = torch.autograd.grad(grads, params, grad_outputs=v, only_inputs=True, retain_graph=False)
            total = [t + h.detach() * float(stop - start) for t, h in zip(total, hv)]
        return [t / float(n) for t in total]

    def normalized(v):
        norm = torch.sqrt(sum((u * u).sum() for u in v))
        return [u / (norm + 1e-6) for u in v]

    wall = time.perf_counter()
    cpu = time.process_time()
    v = normalized([torch.randn_like(p) for p in params])
    eigenvalue = None
    iterations = 0
    for _ in range(MAX_ITER):
        hv = hessian_vector_product(v)
        iterations += 1
        current = float(sum((h * u).sum() for h, u in zip(hv, v)))
        # Progress on stderr: a run stopped by the caller's time limit still says how far it got.
        print(json.dumps({'iteration': iterations, 'eigenvalue': current, 'ms': (time.perf_counter() - wall) * 1000,
                          'cpuMs': (time.process_time() - cpu) * 1000}), file=sys.stderr, flush=True)
        v = normalized(hv)
        if eigenvalue is not None and abs(eigenvalue - current) / (abs(eigenvalue) + 1e-6) < TOL:
            eigenvalue = current
            break
        eigenvalue = current
    print(json.dumps({
        'eigenvalue': eigenvalue,
        'iterations': iterations,
        'hessianVectorProducts': iterations,
        'ms': (time.perf_counter() - wall) * 1000,
        'cpuMs': (time.process_time() - cpu) * 1000,
        'threads': threads,
        'torch': torch.__version__,
        'batchRows': BATCH_ROWS,
        'maxIter': MAX_ITER,
        'tol': TOL,
    }))


if __name__ == '__main__':
    main()
