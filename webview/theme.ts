import { cssVar } from './dom';

/** Chart colors read from the VS Code theme variables at render time. */
export interface ChartTheme {
  foreground: string;
  background: string;
  grid: string;
  primary: string;
  reference: string;
  highlight: string;
  muted: string;
  negative: string;
  font: string;
  highContrast: boolean;
}

export function chartTheme(): ChartTheme {
  const highContrast = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  return {
    foreground: cssVar('--vscode-charts-foreground', cssVar('--vscode-foreground', '#444')),
    background: cssVar('--vscode-editor-background', highContrast ? '#000000' : '#ffffff'),
    grid: cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.35)'),
    primary: cssVar('--vscode-charts-blue', '#3794ff'),
    reference: cssVar('--vscode-charts-green', '#89d185'),
    highlight: cssVar('--vscode-charts-orange', '#d18616'),
    muted: cssVar('--vscode-disabledForeground', '#888'),
    negative: cssVar('--vscode-charts-red', '#f14c4c'),
    font: cssVar('--vscode-font-family', 'sans-serif'),
    highContrast,
  };
}
