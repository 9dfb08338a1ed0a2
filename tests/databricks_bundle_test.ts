/**
 * The Databricks Asset Bundle (databricks.yml + resources/*.yml), checked offline: the YAML
 * parses, every key is one the documented bundle schema allows, `${var.…}` and
 * `${resources.…}` references resolve, and every path it names exists (the pipeline's SQL
 * parses as a pipeline).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { parsePipeline } from "../lib/dataflow/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/**
 * Allowed keys, from Databricks' bundle configuration reference (top-level mappings, targets,
 * variables) and the REST objects resources are defined with (Pipelines API create request,
 * Jobs API create request: Task, PipelineTask, NotebookTask, TriggerSettings,
 * FileArrivalTriggerConfiguration, JobEnvironment). `*` stands for a user-chosen name.
 */
const SCHEMA: Record<string, string[]> = {
  "": [
    "bundle",
    "include",
    "variables",
    "workspace",
    "artifacts",
    "resources",
    "sync",
    "targets",
    "permissions",
    "run_as",
    "presets",
    "experimental",
  ],
  bundle: [
    "name",
    "uuid",
    "databricks_cli_version",
    "cluster_id",
    "compute_id",
    "deployment",
    "git",
  ],
  "variables.*": ["description", "default", "type", "lookup"],
  "targets.*": [
    "default",
    "mode",
    "workspace",
    "variables",
    "resources",
    "presets",
    "run_as",
    "permissions",
    "bundle",
    "artifacts",
    "sync",
    "cluster_id",
    "compute_id",
    "git",
  ],
  resources: [
    "jobs",
    "pipelines",
    "schemas",
    "volumes",
    "clusters",
    "dashboards",
    "experiments",
    "models",
    "model_serving_endpoints",
    "registered_models",
    "quality_monitors",
    "apps",
    "secret_scopes",
  ],
  "resources.pipelines.*": [
    "allow_duplicate_names",
    "budget_policy_id",
    "catalog",
    "channel",
    "clusters",
    "configuration",
    "continuous",
    "development",
    "edition",
    "environment",
    "event_log",
    "filters",
    "libraries",
    "name",
    "notifications",
    "permissions",
    "photon",
    "root_path",
    "run_as",
    "schema",
    "serverless",
    "storage",
    "tags",
    "target",
    "trigger",
  ],
  "resources.pipelines.*.libraries[]": ["file", "glob", "notebook", "jar", "maven", "whl"],
  "resources.pipelines.*.libraries[].file": ["path"],
  "resources.pipelines.*.libraries[].glob": ["include"],
  "resources.pipelines.*.libraries[].notebook": ["path"],
  "resources.jobs.*": [
    "name",
    "description",
    "tasks",
    "job_clusters",
    "environments",
    "trigger",
    "schedule",
    "continuous",
    "parameters",
    "email_notifications",
    "webhook_notifications",
    "notification_settings",
    "timeout_seconds",
    "health",
    "max_concurrent_runs",
    "tags",
    "queue",
    "run_as",
    "git_source",
    "permissions",
    "budget_policy_id",
    "edit_mode",
    "format",
    "performance_target",
  ],
  "resources.jobs.*.trigger": ["pause_status", "file_arrival", "periodic", "table_update"],
  "resources.jobs.*.trigger.file_arrival": [
    "url",
    "min_time_between_triggers_seconds",
    "wait_after_last_change_seconds",
  ],
  "resources.jobs.*.tasks[]": [
    "task_key",
    "description",
    "depends_on",
    "run_if",
    "pipeline_task",
    "notebook_task",
    "spark_python_task",
    "python_wheel_task",
    "sql_task",
    "dbt_task",
    "run_job_task",
    "condition_task",
    "for_each_task",
    "environment_key",
    "job_cluster_key",
    "existing_cluster_id",
    "new_cluster",
    "libraries",
    "timeout_seconds",
    "max_retries",
    "min_retry_interval_millis",
    "retry_on_timeout",
    "email_notifications",
    "webhook_notifications",
    "notification_settings",
    "health",
    "disable_auto_optimization",
  ],
  "resources.jobs.*.tasks[].depends_on[]": ["task_key", "outcome"],
  "resources.jobs.*.tasks[].pipeline_task": ["pipeline_id", "full_refresh"],
  "resources.jobs.*.tasks[].notebook_task": [
    "notebook_path",
    "base_parameters",
    "source",
    "warehouse_id",
  ],
  "resources.jobs.*.environments[]": ["environment_key", "spec"],
  "resources.jobs.*.environments[].spec": ["client", "environment_version", "dependencies"],
};

/** Mappings whose keys are values (configuration, parameters), not schema keys. */
const FREE = new Set([
  "resources.pipelines.*.configuration",
  "resources.jobs.*.tasks[].notebook_task.base_parameters",
  "resources.jobs.*.tags",
  "resources.pipelines.*.tags",
  "targets.*.variables",
]);

const NAMED = new Set(["variables", "targets", "resources.pipelines", "resources.jobs"]);

type Yaml = Record<string, unknown>;

/** Every key that the schema does not allow, as `path.key`. */
function unknownKeys(value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => unknownKeys(v, `${path}[]`));
  if (!value || typeof value !== "object" || FREE.has(path)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value as Yaml)) {
    const child = NAMED.has(path) ? `${path}.*` : path ? `${path}.${k}` : k;
    if (!NAMED.has(path)) {
      const allowed = SCHEMA[path];
      if (allowed && !allowed.includes(k)) out.push(`${path || "(top)"}: ${k}`);
      if (!allowed && typeof v === "object" && !SCHEMA[child] && !FREE.has(child)) {
        out.push(`${path}.${k}: no schema written for this mapping`);
      }
    }
    out.push(...unknownKeys(v, child));
  }
  return out;
}

async function loadBundle(): Promise<{ main: Yaml; files: { path: string; yaml: Yaml }[] }> {
  const main = parseYaml(await Deno.readTextFile(join(ROOT, "databricks.yml"))) as Yaml;
  const files = [{ path: join(ROOT, "databricks.yml"), yaml: main }];
  for (const pattern of main.include as string[]) {
    const dir = join(ROOT, dirname(pattern));
    const re = new RegExp(`^${pattern.split("/").at(-1)!.replace(".", "\\.").replace("*", ".*")}$`);
    for await (const e of Deno.readDir(dir)) {
      if (re.test(e.name)) {
        const path = join(dir, e.name);
        files.push({ path, yaml: parseYaml(await Deno.readTextFile(path)) as Yaml });
      }
    }
  }
  return { main, files };
}

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

Deno.test("bundle: databricks.yml and its resource files parse, with only documented keys", async () => {
  const { main, files } = await loadBundle();
  assert.equal((main.bundle as Yaml).name, "tweetlake");
  assert.ok(files.length >= 3, "databricks.yml includes the pipeline and job resource files");
  for (const f of files) assert.deepEqual(unknownKeys(f.yaml, ""), [], f.path);
  // The checker itself catches a key the schema does not know.
  assert.deepEqual(unknownKeys({ resources: { pipelines: { p: { clusterz: [] } } } }, ""), [
    "resources.pipelines.*: clusterz",
  ]);
});

Deno.test("bundle: references resolve and named paths exist; the pipeline is pipelines/twitter.sql", async () => {
  const { main, files } = await loadBundle();
  const variables = Object.keys(main.variables as Yaml);
  const resources = files.map((f) => f.yaml.resources as Yaml | undefined).filter(Boolean);
  const pipelines = Object.assign({}, ...resources.map((r) => r!.pipelines ?? {})) as Yaml;
  const jobs = Object.assign({}, ...resources.map((r) => r!.jobs ?? {})) as Yaml;
  for (const f of files) {
    for (const s of strings(f.yaml)) {
      for (const [, ref] of s.matchAll(/\$\{([^}]+)\}/g)) {
        const [kind, a, b] = ref.split(".");
        if (kind === "var") assert.ok(variables.includes(a), `${f.path}: \${${ref}} is declared`);
        else if (kind === "resources") {
          assert.ok(a === "pipelines" && b in pipelines, `${f.path}: \${${ref}} is defined`);
        } else assert.fail(`${f.path}: unexpected reference \${${ref}}`);
      }
    }
  }
  const libraries: string[] = [];
  for (const f of files) {
    const rs = (f.yaml.resources ?? {}) as Yaml;
    for (const p of Object.values((rs.pipelines ?? {}) as Yaml)) {
      for (const lib of (p as Yaml).libraries as Yaml[]) {
        const path = join(dirname(f.path), (lib.file as Yaml).path as string);
        assert.ok(existsSync(path), `${f.path}: library ${path} exists`);
        libraries.push(path);
      }
    }
    for (const j of Object.values((rs.jobs ?? {}) as Yaml)) {
      const tasks = (j as Yaml).tasks as Yaml[];
      const keys = tasks.map((t) => t.task_key);
      for (const t of tasks) {
        for (const d of (t.depends_on ?? []) as Yaml[]) assert.ok(keys.includes(d.task_key));
        const nb = t.notebook_task as Yaml | undefined;
        if (nb) {
          const path = join(dirname(f.path), nb.notebook_path as string);
          assert.ok(existsSync(path), `${f.path}: notebook ${path} exists`);
          assert.match(await Deno.readTextFile(path), /^# Databricks notebook source\n/);
        }
      }
      // The original's workflow order: pipeline, then sentiment after it.
      assert.deepEqual(keys, ["pipeline", "sentiment"]);
      assert.deepEqual((tasks[1].depends_on as Yaml[])[0].task_key, "pipeline");
    }
  }
  assert.deepEqual(libraries, [join(ROOT, "pipelines/twitter.sql")]);
  assert.ok(Object.keys(jobs).length === 1);
  // The SQL the bundle deploys is a pipeline this engine parses.
  const parsed = parsePipeline(await Deno.readTextFile(libraries[0]), libraries[0]);
  assert.ok(parsed.datasets.some((d) => d.name === "silver"));
});
