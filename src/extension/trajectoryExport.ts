/** Export Report... on a training run's panel: the points as JSON, CSV, Markdown or HTML, the charts as PNG. */
import * as vscode from 'vscode';
import type { ExportFormat } from '../shared/protocol';
import type { TrajectoryRunView } from '../shared/trajectory';
import { formatNumber } from '../shared/format';
import { trajectoryCsv, trajectoryHtml } from '../engine/trajectory/render';
import type { ReportPanel } from './reportPanel';
import { baseName } from './modelFiles';

export function trajectoryMarkdown(run: TrajectoryRunView): string {
  const lines = [
    `# Flatness over training: ${run.folderLabel}`,
    '',
    `Training data: ${run.dataLabel}. ${run.points.length} checkpoints.`,
    '',
    '| step | checkpoint | training loss | raw trace | F_sym | F_LB | ratio R | test loss | interpolates | verdict |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...run.points.map((p) => `| ${p.step ?? '-'} | ${baseName(p.path)} | ${formatNumber(p.trainingLoss)} | ${formatNumber(p.rawTrace)} | ${formatNumber(p.normalizedFlatness)} | ${formatNumber(p.lowerBound)} | ${formatNumber(p.ratio)} | ${p.testLoss === undefined ? 'n/a' : formatNumber(p.testLoss)} | ${p.interpolates ? 'yes' : 'no'} | ${p.verdict.headline} |`),
  ];
  return `${lines.join('\n')}\n`;
}

export function trajectoryExportText(run: TrajectoryRunView, format: Exclude<ExportFormat, 'png'>): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(run, null, 2)}\n`;
    case 'csv':
      return trajectoryCsv(run);
    case 'markdown':
      return trajectoryMarkdown(run);
    case 'html':
      return trajectoryHtml({ ...run, notes: [] }, {
        title: run.folderLabel,
        description: `${run.points.length} checkpoints in ${run.folderLabel}; training data ${run.dataLabel}.`,
      });
  }
}

export async function exportTrajectory(run: TrajectoryRunView, format: ExportFormat, panel: ReportPanel | undefined): Promise<void> {
  const extension = { json: 'json', html: 'html', markdown: 'md', csv: 'csv', png: 'png' }[format];
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const stem = `${baseName(run.folderLabel) || 'run'}.trajectory`;
  const defaultUri = folder ? vscode.Uri.joinPath(folder, `${stem}.${extension}`) : undefined;
  const target = await vscode.window.showSaveDialog({ title: vscode.l10n.t('Export training run as {0}', format.toUpperCase()), ...(defaultUri ? { defaultUri } : {}), filters: { [format.toUpperCase()]: [extension] } });
  if (!target) return;
  const written: vscode.Uri[] = [];
  if (format === 'png') {
    const charts = panel ? await panel.captureCharts() : [];
    if (charts.length === 0) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Flatness Lens: no chart is visible to export; open the training run first.'));
      return;
    }
    const base = target.path.replace(/\.png$/i, '');
    for (const chart of charts) {
      const uri = target.with({ path: `${base}-${chart.name}.png` });
      await vscode.workspace.fs.writeFile(uri, Buffer.from(chart.dataUrl.slice(chart.dataUrl.indexOf(',') + 1), 'base64'));
      written.push(uri);
    }
  } else {
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(trajectoryExportText(run, format)));
    written.push(target);
  }
  void vscode.window.showInformationMessage(vscode.l10n.t('Flatness Lens: exported {0}', written.map((uri) => baseName(uri.path)).join(', ')));
}
