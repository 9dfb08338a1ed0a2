/**
 * Charts for notebooks and the headless report: Observable Plot rendered to
 * SVG markup through linkedom, PNG through resvg, HTML tables, notebook display.
 */
export { isFigure, render, svgToPng, toStandaloneSvg, writeChart } from "./render.ts";
export {
  expectationsChart,
  languagesChart,
  SENTIMENT_COLORS,
  SENTIMENT_LABELS,
  sentimentByHourChart,
  sentimentChart,
} from "./charts.ts";
export { layoutLineage, lineageChart, type LineageGraph, type PlacedNode } from "./lineage.ts";
export { cellText, escapeHtml, tableHtml } from "./table.ts";
export { display, type HtmlView, inKernel, JUPYTER_DISPLAY, show, summarize } from "./show.ts";
export { EMPTY_CLASS, emptyChart } from "./empty.ts";
export { countBars, labelDonut, nonEnglishChart, placesChart, silverModesChart } from "./views.ts";
export { layoutWords, STOP_WORDS, wordCloud, wordCounts } from "./wordcloud.ts";
export {
  emptySnapshot,
  type PageSection,
  pipelinePageBody,
  pipelineSections,
  type PipelineSnapshot,
  qualityChart,
  renderPipelinePage,
  type SnapshotDatasetRun,
  type SnapshotExpectation,
  type SnapshotPost,
  type SnapshotUpdate,
} from "./pipeline_page.ts";
export { isEmptyChart, layoutGraph, pipelineGraphSvg } from "./pipeline_graph.ts";
