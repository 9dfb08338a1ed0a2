/** Errors of the dataflow engine; each names the pipeline file, line and dataset. */

/** A problem in a pipeline file or with one of its datasets, at `file:line`. */
export class PipelineError extends Error {
  constructor(
    readonly detail: string,
    readonly file: string,
    readonly line: number,
    readonly dataset?: string,
  ) {
    super(`${file}:${line}: ${dataset ? `dataset ${dataset}: ` : ""}${detail}`);
    this.name = "PipelineError";
  }
}

/** An `ON VIOLATION FAIL UPDATE` expectation failed; the whole update was rolled back. */
export class ExpectationFailedError extends PipelineError {
  constructor(
    readonly expectation: string,
    readonly failedRows: number,
    file: string,
    line: number,
    dataset: string,
  ) {
    super(
      `expectation ${expectation} failed for ${failedRows} row(s) (ON VIOLATION FAIL UPDATE); ` +
        "the update was rolled back",
      file,
      line,
      dataset,
    );
    this.name = "ExpectationFailedError";
  }
}
