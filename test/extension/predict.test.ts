/**
 * Generalization prediction from the host: the Predict Generalization command, the
 * flatnessLens.sections.predict setting, progress and cancellation of a real prediction in the
 * worker, and the "Save flattest network" button of the report webview.
 */
import './setup';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extensionContext, mock, Uri, type CancellationTokenSource } from './vscodeMock';
import { activate } from '../../src/extension/extension';
import { lastShown, reportPanel } from './panels';
import { localizedManifest } from './manifest';
import type { CommandDeps } from '../../src/extension/commands';
import type { AnalysisRequest, ComparisonRequest, ViewState } from '../../src/shared/protocol';
import type { ComparisonReport, Report } from '../../src/shared/report';
import { loadModel } from '../../src/engine/load/modelLoader';

const ROOT = join(__dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'multi-index');
const PREDICTION_REPORT = JSON.parse(readFileSync(join(ROOT, 'test', 'webview', 'fixtures', 'prediction-report.json'), 'utf8')) as Report;
const COMPARISON = JSON.parse(readFileSync(join(ROOT, 'test', 'webview', 'fixtures', 'comparison-report.json'), 'utf8')) as ComparisonReport;

let workspace: string;
let deps: CommandDeps;
let subscriptions: { dispose(): unknown }[] = [];

function activateExtension(): void {
  subscriptions = [];
  const storage = mkdtempSync(join(tmpdir(), 'flatness-storage-'));
  deps = activate(extensionContext(ROOT, storage, subscriptions)).deps;
}

/** Replaces the worker with one that records requests and answers with the real prediction report. */
function stubWorker(): AnalysisRequest[] {
  const requests: AnalysisRequest[] = [];
  (deps.worker as unknown as { analyze: unknown }).analyze = (request: AnalysisRequest, callbacks: { onProgress?: (stage: string, fraction: number) => void } = {}) => {
    requests.push(request);
    callbacks.onProgress?.('calibration', 0.5);
    const report: Report = request.sections?.predict ? PREDICTION_REPORT : { ...PREDICTION_REPORT, prediction: undefined, flattest: undefined } as Report;
    return { id: requests.length, result: Promise.resolve(structuredClone(report)) };
  };
  return requests;
}

const MODEL_NAME = 'generalizing.safetensors';

/** Replaces the worker's compare with one that records requests and answers with a real comparison, rows renamed to the request's paths. */
function stubCompare(): ComparisonRequest[] {
  const requests: ComparisonRequest[] = [];
  (deps.worker as unknown as { compare: unknown }).compare = (request: ComparisonRequest, callbacks: { onProgress?: (stage: string, fraction: number) => void } = {}) => {
    requests.push(request);
    callbacks.onProgress?.('flattest', 0.25);
    const comparison = structuredClone(COMPARISON);
    for (const row of comparison.models) row.path = request.modelPaths.find((path) => path.endsWith(row.path.split('/').pop()!)) ?? row.path;
    return { id: requests.length, result: Promise.resolve(comparison) };
  };
  return requests;
}

describe('generalization prediction in the extension host', () => {
  before(() => {
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--only=worker'], { encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
  });

  beforeEach(() => {
    mock.reset();
    workspace = mkdtempSync(join(tmpdir(), 'flatness-predict-'));
    for (const file of readdirSync(EXAMPLE, { withFileTypes: true })) if (file.isFile()) copyFileSync(join(EXAMPLE, file.name), join(workspace, file.name));
    writeFileSync(join(workspace, `${MODEL_NAME}.flatness.json`), JSON.stringify({ trainingData: 'train.npz', testData: 'test.npz' }));
    mock.workspaceRoot = workspace;
    mock.workspaceFiles = readdirSync(workspace).map((file) => Uri.file(join(workspace, file)));
    activateExtension();
  });

  afterEach(() => {
    for (const item of subscriptions) item.dispose();
  });

  it('contributes the command, in the palette and the Explorer menu, and documents the setting', () => {
    const manifest = localizedManifest<{
      contributes: { commands: { command: string; title: string }[]; menus: Record<string, { command: string }[]>; configuration: { properties: Record<string, { type: string; default: unknown }> } };
    }>();
    const command = manifest.contributes.commands.find((c) => c.command === 'flatnessLens.predictGeneralization');
    assert.equal(command?.title, 'Predict Generalization');
    assert.ok(manifest.contributes.menus['explorer/context']!.some((m) => m.command === 'flatnessLens.predictGeneralization'));
    const setting = manifest.contributes.configuration.properties['flatnessLens.sections.predict'];
    assert.deepEqual([setting?.type, setting?.default], ['boolean', false]);
    assert.ok(mock.commands.has('flatnessLens.predictGeneralization'));
  });

  it('the setting switches prediction on for every analysis; off by default', async () => {
    const requests = stubWorker();
    const model = Uri.file(join(workspace, MODEL_NAME));
    await mock.commands.get('flatnessLens.analyzeModel')!(model);
    assert.equal(requests.at(-1)!.sections?.predict, false, 'off by default');
    assert.equal((lastShown(reportPanel()) as Extract<ViewState, { kind: 'report' }>).report.prediction, undefined);
    mock.config.set('flatnessLens.sections.predict', true);
    await mock.commands.get('flatnessLens.analyzeModel')!(model);
    assert.equal(requests.at(-1)!.sections?.predict, true, 'on with the setting');
    assert.match(mock.progressTitles.at(-1)!, /predicting generalization of generalizing\.safetensors/);
  });

  it('Predict Generalization re-runs the model with prediction whatever the setting says, with progress', async () => {
    const requests = stubWorker();
    const model = Uri.file(join(workspace, MODEL_NAME));
    await mock.commands.get('flatnessLens.predictGeneralization')!(model);
    assert.equal(requests.length, 1);
    assert.equal(requests[0]!.sections?.predict, true);
    assert.equal(requests[0]!.modelPath, join(workspace, MODEL_NAME));
    assert.equal(requests[0]!.testDataPath, join(workspace, 'test.npz'), 'the test data goes along for the measured test loss');
    assert.equal(requests[0]!.sections?.spectrum, false, 'other sections follow their settings');
    assert.match(mock.progressTitles.at(-1)!, /predicting generalization/);
    assert.ok(mock.progressReports.some((r) => r.message === 'calibration 50%'), 'stage progress reaches the notification');
    const state = lastShown(reportPanel()) as Extract<ViewState, { kind: 'report' }>;
    assert.equal(state.kind, 'report');
    assert.equal(state.report.prediction?.testLoss, PREDICTION_REPORT.prediction!.testLoss);

    // Without an argument or a model editor, it re-runs the model of the open report.
    await mock.commands.get('flatnessLens.predictGeneralization')!();
    assert.equal(requests.length, 2);
    assert.equal(requests[1]!.modelPath, join(workspace, MODEL_NAME));
    assert.equal(requests[1]!.sections?.predict, true);
  });

  it('the Save flattest network button writes a safetensors file the engine reads back', async () => {
    stubWorker();
    await mock.commands.get('flatnessLens.predictGeneralization')!(Uri.file(join(workspace, MODEL_NAME)));
    const panel = reportPanel();
    const target = join(workspace, 'out', 'flattest.safetensors');
    mock.saveDialog = () => Uri.file(target);
    panel.webview.fromWebview({ type: 'saveFlattest', modelUri: Uri.file(join(workspace, MODEL_NAME)).toString() });
    for (let i = 0; i < 100 && !mock.messages.some((m) => /saved the flattest network/.test(m.text)); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(existsSync(target), 'the file was written');
    const saved = await loadModel(target);
    const network = PREDICTION_REPORT.flattest!.network!;
    assert.equal(saved.hiddenDim, network.hiddenDim);
    assert.equal(saved.inputDim, network.inputDim);
    assert.equal(saved.activation.name, 'relu');
    assert.equal(saved.source.tensorNames.join(','), '0.weight,2.weight');
    assert.ok(Math.abs(saved.outputWeights[3]! - network.outputWeights[3]!) < 1e-6);
    assert.ok(mock.messages.some((m) => m.level === 'info' && /flattest\.safetensors/.test(m.text)));

    // In the side-by-side comparison of Open Example (with the setting on), the button saves that model's network.
    mock.config.set('flatnessLens.sections.predict', true);
    await mock.commands.get('flatnessLens.openExample')!();
    const comparisonPanel = mock.panels.filter((p) => p.viewType === 'flatnessLens.report' && !p.disposed).find((p) => p.title === 'Flatness: comparison')!;
    assert.ok(comparisonPanel, 'the example opens a comparison');
    const fromComparison = join(workspace, 'out', 'from-comparison.safetensors');
    mock.saveDialog = () => Uri.file(fromComparison);
    comparisonPanel.webview.fromWebview({ type: 'saveFlattest', modelUri: Uri.file(join(EXAMPLE, 'memorizing.safetensors')).toString() });
    for (let i = 0; i < 100 && !existsSync(fromComparison); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal((await loadModel(fromComparison)).hiddenDim, network.hiddenDim);
    mock.config.delete('flatnessLens.sections.predict');

    // A report without a flattest network says so instead of writing anything.
    mock.messages.length = 0;
    await mock.commands.get('flatnessLens.analyzeModel')!(Uri.file(join(workspace, MODEL_NAME)));
    mock.saveDialog = () => assert.fail('no dialog without a network');
    panel.webview.fromWebview({ type: 'saveFlattest', modelUri: Uri.file(join(workspace, MODEL_NAME)).toString() });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(mock.messages.some((m) => m.level === 'warning' && /no flattest network/.test(m.text)));
  });

  it('a real prediction in the worker reports its stages and stops on Cancel', async () => {
    let source: CancellationTokenSource | undefined;
    mock.onProgress = (s) => {
      source = s;
    };
    const running = mock.commands.get('flatnessLens.predictGeneralization')!(Uri.file(join(workspace, MODEL_NAME))) as Promise<void>;
    // Wait (event-driven, no timing assertion) for the prediction stages to report progress.
    for (let i = 0; i < 1200 && !mock.progressReports.some((r) => /^(calibration|flattest)/.test(r.message ?? '')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(mock.progressReports.some((r) => /^(calibration|flattest)/.test(r.message ?? '')), `prediction stages reported: ${mock.progressReports.map((r) => r.message).join(', ')}`);
    assert.ok(deps.analysis.isRunning);
    source!.cancel();
    await running;
    assert.ok(!deps.analysis.isRunning);
    assert.ok(mock.messages.some((m) => m.level === 'info' && /cancelled/.test(m.text)));
    assert.equal(lastShown(reportPanel()).kind, 'error');
    assert.equal((lastShown(reportPanel()) as Extract<ViewState, { kind: 'error' }>).error.code, 'cancelled');
  });

  it('Compare Models runs compareModels in the worker and shows the ranking; it exports as JSON', async () => {
    const requests = stubCompare();
    const models = [MODEL_NAME, 'memorizing.safetensors'].map((name) => Uri.file(join(workspace, name)));
    await mock.commands.get('flatnessLens.compareModels')!(models[0], models);
    assert.equal(requests.length, 1, 'one shared comparison, not one analysis per model');
    assert.deepEqual(requests[0]!.modelPaths, models.map((m) => m.fsPath));
    assert.equal(requests[0]!.dataPath, join(workspace, 'train.npz'));
    assert.equal(requests[0]!.testDataPath, join(workspace, 'test.npz'));
    assert.match(mock.progressTitles.at(-1)!, /comparing 2 models/);
    assert.ok(mock.progressReports.some((r) => r.message === 'flattest 25%'));
    const open = mock.panels.filter((p) => p.viewType === 'flatnessLens.report' && !p.disposed);
    assert.equal(open.length, 1, 'the progress panel made way for the ranking');
    open[0]!.webview.fromWebview({ type: 'ready' });
    const state = lastShown(open[0]!) as Extract<ViewState, { kind: 'ranking' }>;
    assert.equal(state.kind, 'ranking');
    assert.deepEqual(state.comparison.models.map((row) => row.rank), [1, 2]);
    assert.equal(state.models.find((m) => m.path === state.comparison.models[0]!.path)?.modelLabel, MODEL_NAME, 'the generalizing model ranks first');
    assert.ok(state.comparison.kendallTau !== null);

    const out = join(workspace, 'out', 'ranking.json');
    mock.saveDialog = () => Uri.file(out);
    await mock.commands.get('flatnessLens.exportReport')!('json');
    assert.deepEqual((JSON.parse(readFileSync(out, 'utf8')) as ComparisonReport).models.map((r) => r.rank), [1, 2]);
  });

  it('a real comparison in the worker reports progress and stops on Cancel', async () => {
    let source: CancellationTokenSource | undefined;
    mock.onProgress = (s) => {
      source = s;
    };
    const models = [MODEL_NAME, 'memorizing.safetensors'].map((name) => Uri.file(join(workspace, name)));
    const running = mock.commands.get('flatnessLens.compareModels')!(models[0], models) as Promise<void>;
    for (let i = 0; i < 1200 && mock.progressReports.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(mock.progressReports.length > 0, 'the comparison reports progress');
    assert.ok(deps.analysis.isRunning);
    source!.cancel();
    await running;
    assert.ok(!deps.analysis.isRunning);
    assert.ok(mock.messages.some((m) => m.level === 'info' && /comparison cancelled/.test(m.text)));
    const state = lastShown(reportPanel()) as Extract<ViewState, { kind: 'error' }>;
    assert.equal(state.kind, 'error');
    assert.equal(state.error.code, 'cancelled');
  });
});
