/**
 * Bounded batches of input files: a large update reads its files a batch at a time
 * (inside the update's one transaction), so the lines held in memory at once stay
 * near the batch size, whatever the update's size.
 */
import type { LakeFile } from "../lake/types.ts";

/**
 * Splits `files` (in their order) into consecutive batches of about `budgetBytes`
 * each: a batch closes once its files reach the budget, so each holds at least one
 * file. No files give one empty batch (the update still runs the query once).
 */
export function fileBatches(files: LakeFile[], budgetBytes: number): LakeFile[][] {
  const out: LakeFile[][] = [[]];
  let bytes = 0;
  for (const f of files) {
    if (out.at(-1)!.length && bytes >= budgetBytes) {
      out.push([]);
      bytes = 0;
    }
    out.at(-1)!.push(f);
    bytes += f.size;
  }
  return out;
}
