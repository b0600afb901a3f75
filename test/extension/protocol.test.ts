import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isHostToWebview, isHostToWorker, isWebviewToHost, isWorkerToHost } from '../../src/shared/protocol';

describe('message protocol guards', () => {
  it('accepts well-formed host -> worker messages and rejects malformed ones', () => {
    assert.ok(isHostToWorker({ type: 'analyze', id: 1, request: { modelPath: 'm', dataPath: 'd' } }));
    assert.ok(isHostToWorker({ type: 'cancel', id: 1 }));
    assert.ok(isHostToWorker({ type: 'describe', id: 2, modelPath: 'm' }));
    assert.ok(isHostToWorker({ type: 'shutdown' }));
    assert.ok(!isHostToWorker({ type: 'analyze', id: 1, request: { modelPath: 'm' } }), 'missing dataPath');
    assert.ok(!isHostToWorker({ type: 'cancel', id: '1' }), 'string id');
    assert.ok(!isHostToWorker({ type: 'explode' }));
    assert.ok(!isHostToWorker(null));
    assert.ok(isHostToWorker({ type: 'compare', id: 3, request: { modelPaths: ['a', 'b'], dataPath: 'd' } }));
    assert.ok(!isHostToWorker({ type: 'compare', id: 3, request: { modelPaths: [], dataPath: 'd' } }), 'no models');
    assert.ok(!isHostToWorker({ type: 'compare', id: 3, request: { modelPaths: ['a', 1], dataPath: 'd' } }), 'non-string path');
  });

  it('validates worker -> host answers', () => {
    assert.ok(isWorkerToHost({ type: 'progress', id: 1, stage: 's', fraction: 0.5 }));
    assert.ok(isWorkerToHost({ type: 'failed', id: 1, error: { code: 'bad-input', message: 'x' } }));
    assert.ok(isWorkerToHost({ type: 'log', level: 'warn', message: 'x' }));
    assert.ok(!isWorkerToHost({ type: 'progress', id: 1, stage: 's', fraction: Number.NaN }));
    assert.ok(!isWorkerToHost({ type: 'failed', id: 1, error: 'boom' }));
    assert.ok(!isWorkerToHost({ type: 'log', level: 'debug', message: 'x' }));
    assert.ok(!isWorkerToHost({ type: 'result', id: 1 }));
    assert.ok(isWorkerToHost({ type: 'compared', id: 1, comparison: { models: [] } }));
    assert.ok(!isWorkerToHost({ type: 'compared', id: 1, comparison: {} }));
  });

  it('only accepts webview requests the host knows how to serve', () => {
    assert.ok(isWebviewToHost({ type: 'ready' }));
    assert.ok(isWebviewToHost({ type: 'export', format: 'csv' }));
    assert.ok(!isWebviewToHost({ type: 'export', format: 'exe' }));
    assert.ok(isWebviewToHost({ type: 'chartImages', requestId: 1, images: [{ name: 'orbit', dataUrl: 'data:image/png;base64,AAAA' }] }));
    assert.ok(!isWebviewToHost({ type: 'chartImages', requestId: 1, images: [{ name: 'orbit', dataUrl: 'javascript:alert(1)' }] }));
    assert.ok(!isWebviewToHost({ type: 'analyze' }));
    assert.ok(isWebviewToHost({ type: 'saveFlattest', modelUri: 'file:///m.safetensors' }));
    assert.ok(!isWebviewToHost({ type: 'saveFlattest' }), 'which model');
    assert.ok(isWebviewToHost({ type: 'predict', modelUri: 'file:///m.safetensors' }));
    assert.ok(!isWebviewToHost({ type: 'predict' }));
    assert.ok(isHostToWebview({ type: 'show', state: { kind: 'progress', message: '', context: null } }));
    assert.ok(!isHostToWebview({ type: 'show', state: 'report' }));
  });
});
