/** Sentiment scoring: the library API the pipeline, the notebook and the CLIs use. */
export * from "./labels.ts";
export * from "./model.ts";
export * from "./score.ts";
export * from "./eval.ts";
export * from "./queries.ts";
