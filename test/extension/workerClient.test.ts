/** The host's worker client against real forked processes: results, crash, OOM, cancel, restart. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { WorkerClient, WorkerError, type ForkWorker } from '../../src/extension/workerClient';
import { WorkerHandler, type WorkerEngine } from '../../src/worker/handler';
import type { WorkerToHost } from '../../src/shared/protocol';

const SCRIPT = join(__dirname, 'fixtures', 'misbehavingWorker.cjs');
const forkFixture: ForkWorker = (options) => fork(SCRIPT, [], {
  execArgv: [`--max-old-space-size=${options.memoryLimitMb}`],
  stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
});

function request(modelPath: string) {
  return { modelPath, dataPath: 'data' };
}

async function failure(promise: Promise<unknown>): Promise<WorkerError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof WorkerError, `expected a WorkerError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the request to fail');
}

describe('WorkerClient', () => {
  it('starts the worker lazily, passes the memory limit and relays progress', async () => {
    const client = new WorkerClient(forkFixture, () => ({ memoryLimitMb: 321 }));
    assert.equal(client.running, false, 'nothing is started before the first request');
    const stages: string[] = [];
    const report = await client.analyze(request('ok'), { onProgress: (stage, fraction) => stages.push(`${stage}:${fraction}`) }).result as unknown as { argv: string[] };
    assert.deepEqual(report.argv, ['--max-old-space-size=321']);
    assert.deepEqual(stages, ['flatness:0.5']);
    assert.equal(client.starts, 1);
    client.dispose();
  });

  it('reports a crash with the worker log and starts a fresh worker for the next analysis', async () => {
    const client = new WorkerClient(forkFixture, () => ({ memoryLimitMb: 256 }));
    const first = (await client.analyze(request('ok')).result as unknown as { pid: number }).pid;
    const error = await failure(client.analyze(request('exit')).result);
    assert.equal(error.wire.code, 'worker-crashed');
    assert.match(error.wire.message, /stopped unexpectedly \(exit code 3\)/);
    assert.match(error.wire.log ?? '', /fatal: simulated failure/);
    const second = (await client.analyze(request('ok')).result as unknown as { pid: number }).pid;
    assert.notEqual(second, first);
    assert.equal(client.starts, 2);
    client.dispose();
  });

  it('recognises an out-of-memory death under the configured limit', async () => {
    const client = new WorkerClient(forkFixture, () => ({ memoryLimitMb: 64 }));
    const error = await failure(client.analyze(request('oom')).result);
    assert.equal(error.wire.code, 'worker-crashed');
    assert.match(error.wire.message, /ran out of memory \(limit 64 MB/);
    assert.match(error.wire.log ?? '', /heap/i);
    const next = await client.analyze(request('ok')).result as unknown as { fake: boolean };
    assert.equal(next.fake, true, 'the next analysis runs in a fresh worker');
    client.dispose();
  });

  it('kills a worker that ignores Cancel and reports the request as cancelled', async () => {
    const client = new WorkerClient(forkFixture, () => ({ memoryLimitMb: 256 }), () => undefined, 200);
    const { id, result } = client.analyze(request('hang'));
    setTimeout(() => client.cancel(id), 100);
    const error = await failure(result);
    assert.equal(error.wire.code, 'cancelled');
    assert.equal(client.running, false);
    const next = await client.analyze(request('ok')).result as unknown as { fake: boolean };
    assert.equal(next.fake, true);
    assert.equal(client.starts, 2);
    client.dispose();
  });

  it('restarts the worker when the memory limit setting changes', async () => {
    let limit = 300;
    const client = new WorkerClient(forkFixture, () => ({ memoryLimitMb: limit }));
    await client.analyze(request('ok')).result;
    limit = 400;
    const report = await client.analyze(request('ok')).result as unknown as { argv: string[] };
    assert.deepEqual(report.argv, ['--max-old-space-size=400']);
    assert.equal(client.starts, 2);
    client.dispose();
  });
});

describe('WorkerClient time limits', () => {
  it('times out a hung describe, names the file, restarts the worker and answers the next request', async () => {
    const lines: string[] = [];
    const client = new WorkerClient(forkFixture, () => ({ memoryLimitMb: 256 }), (line) => lines.push(line), 200, { describe: 500 });
    const error = await failure(client.describe('hang'));
    assert.equal(error.wire.code, 'bad-input');
    assert.equal(error.wire.file, 'hang');
    assert.match(error.wire.message, /^hang: could not be read in 0\.5 s .*restarted/);
    assert.ok(lines.some((line) => /describe of hang did not finish within 0\.5 s: restarting/.test(line)), lines.join('\n'));
    const next = await client.describe('model.h5') as unknown as { path: string };
    assert.equal(next.path, 'model.h5', 'a later request is not blocked by the hung one');
    assert.equal(client.starts, 2);
    client.dispose();
  });

  it('a request running beside the hung describe fails as restarted, naming the hung file', async () => {
    const client = new WorkerClient(forkFixture, () => ({ memoryLimitMb: 256 }), () => undefined, 200, { describe: 500 });
    const analysis = client.analyze(request('hang')).result;
    const [analysisError, describeError] = await Promise.all([failure(analysis), failure(client.describe('hang'))]);
    assert.equal(describeError.wire.code, 'bad-input');
    assert.equal(analysisError.wire.code, 'cancelled');
    assert.match(analysisError.wire.message, /restarted because hang hung; run the analysis again/);
    client.dispose();
  });
});

describe('WorkerHandler (the worker side)', () => {
  it('aborts the engine through its AbortSignal on cancel and answers cancelled', async () => {
    const sent: WorkerToHost[] = [];
    let chunks = 0;
    const engine: WorkerEngine = {
      async analyze(_request, context) {
        // Work in chunks that check the signal in between, like the engine does.
        for (;;) {
          if (context.signal?.aborted) throw Object.assign(new Error('analysis cancelled'), { code: 'cancelled' });
          chunks++;
          context.onProgress?.('flatness', Math.min(1, chunks / 1000));
          await new Promise((resolve) => setImmediate(resolve));
        }
      },
      describe: () => Promise.reject(new Error('unused')),
      compare: () => Promise.reject(new Error('unused')),
    };
    const handler = new WorkerHandler(engine, (m) => sent.push(m));
    const running = handler.handle({ type: 'analyze', id: 5, request: { modelPath: 'm', dataPath: 'd' } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await handler.handle({ type: 'cancel', id: 5 });
    await running;
    assert.ok(chunks > 0);
    assert.deepEqual(sent.at(-1), { type: 'failed', id: 5, error: { code: 'cancelled', message: 'analysis cancelled' } });
    assert.equal(handler.active, 0);
  });

  it('turns engine errors into wire errors that keep the code and the file', async () => {
    const sent: WorkerToHost[] = [];
    const engine: WorkerEngine = {
      analyze: async () => {
        throw Object.assign(new Error('data.npz: no array named X'), { code: 'bad-input', file: 'data.npz' });
      },
      describe: async () => {
        throw new TypeError('undefined is not a function');
      },
      compare: () => Promise.reject(new Error('unused')),
    };
    const handler = new WorkerHandler(engine, (m) => sent.push(m));
    await handler.handle({ type: 'analyze', id: 1, request: { modelPath: 'm', dataPath: 'd' } });
    await handler.handle({ type: 'describe', id: 2, modelPath: 'm' });
    await handler.handle({ type: 'nonsense' });
    assert.deepEqual(sent[0], { type: 'failed', id: 1, error: { code: 'bad-input', message: 'data.npz: no array named X', file: 'data.npz' } });
    assert.equal(sent[1]?.type, 'failed');
    assert.match(JSON.stringify(sent[1]), /"code":"internal".*undefined is not a function/);
    assert.equal(sent[2]?.type, 'log');
  });
});

describe('the real worker process and hostile messages', () => {
  it('survives BigInt and circular messages, refuses malformed and duplicate requests, answers each request once', async () => {
    const root = join(__dirname, '..', '..');
    // 'advanced' serialization carries BigInt and cycles over IPC, as a hostile host could send them.
    const child = fork(join(root, 'src', 'worker', 'main.ts'), [], {
      execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const received: WorkerToHost[] = [];
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.stdout?.resume();
    const waitFor = (test: (message: WorkerToHost) => boolean) => new Promise<WorkerToHost>((resolve, reject) => {
      const found = received.find(test);
      if (found) return resolve(found);
      const onMessage = (message: WorkerToHost) => {
        if (!test(message)) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`the worker exited (${code}): ${stderr}`)));
    });
    child.on('message', (message: WorkerToHost) => received.push(message));
    const answers = (id: number) => received.filter((m) => 'id' in m && m.id === id && m.type !== 'progress');
    try {
      await waitFor((m) => m.type === 'ready');
      child.send({ type: 'analyze', id: 1n, request: { modelPath: 'm', dataPath: 'd' } });
      const circular: Record<string, unknown> = { type: 'bogus' };
      circular.self = circular;
      child.send(circular);
      child.send({ type: 'analyze', id: 2, request: { modelPath: 'm', dataPath: 'd', activation: 5n } });
      child.send({ type: 'describe', id: 3, modelPath: join(root, 'no-such-model.safetensors') });
      const malformed = await waitFor((m) => 'id' in m && m.id === 2);
      assert.deepEqual(malformed, { type: 'failed', id: 2, error: { code: 'bad-input', message: 'malformed analyze request 2: activation must be a string' } });
      const missing = await waitFor((m) => 'id' in m && m.id === 3);
      assert.equal(missing.type, 'failed');
      // id 4: a describe that takes long (the hanging HDF5 file, stopped after its 6 s budget), then a second request with the same id.
      child.send({ type: 'describe', id: 4, modelPath: join(root, 'test', 'fixtures', 'hostile', 'hdf5_hang.h5') });
      child.send({ type: 'describe', id: 4, modelPath: join(root, 'examples', 'multi-index', 'generalizing.safetensors') });
      child.send({ type: 'describe', id: 3, modelPath: join(root, 'examples', 'multi-index', 'generalizing.safetensors') });
      child.send({ type: 'describe', id: 5, modelPath: join(root, 'examples', 'multi-index', 'generalizing.safetensors') });
      const described = await waitFor((m) => 'id' in m && m.id === 5);
      assert.equal(described.type, 'described', 'the worker still answers after the hostile messages');
      const logs = received.filter((m): m is Extract<WorkerToHost, { type: 'log' }> => m.type === 'log').map((m) => m.message);
      assert.ok(logs.some((line) => /malformed message .*1n/.test(line)), logs.join('\n'));
      assert.ok(logs.some((line) => /malformed message .*\[Circular/.test(line)), logs.join('\n'));
      assert.ok(logs.some((line) => /refused a describe request: id 4 is already in use/.test(line)), logs.join('\n'));
      assert.deepEqual(answers(4), [], 'the running request keeps the one answer of id 4');
      assert.deepEqual(answers(3).map((m) => m.type), ['failed', 'failed'], 'the reused finished id 3 is refused, not run');
      assert.match(JSON.stringify(answers(3)[1]), /request id 3 was already used/);
      assert.deepEqual(answers(5).length, 1);
      assert.equal(child.exitCode, null, 'the worker is alive');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
