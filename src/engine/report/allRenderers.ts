// The optional analyses' terminal lines and HTML fragments, registered once for every view
// that renders a report (CLI, HTML export).
import { TERMINAL_EXTENSIONS } from './terminal';
import { HTML_EXTENSIONS } from './html';
import { curvatureHtml, curvatureSummaryLines } from './curvatureText';
import { predictionHtml, predictionSummaryLines } from './predictionText';

TERMINAL_EXTENSIONS.push(curvatureSummaryLines, predictionSummaryLines);
HTML_EXTENSIONS.push(curvatureHtml, predictionHtml);
