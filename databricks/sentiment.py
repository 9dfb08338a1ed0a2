# Databricks notebook source
# MAGIC %md
# MAGIC # tweetlake: sentiment of new silver rows (Databricks)
# MAGIC
# MAGIC The Databricks side of `deno task sentiment`: scores the silver rows that the model has not
# MAGIC scored yet and appends them to the gold table `sentiment` (`id, label, score, model,
# MAGIC scored_at`), with labels normalised to `negative | neutral | positive`, as the local step
# MAGIC does. It loads a Hugging Face text-classification model with `transformers` (the original
# MAGIC demo's approach); to use a model-serving endpoint instead, replace `classify` with a call to
# MAGIC `ai_query`.

# COMMAND ----------

dbutils.widgets.text("catalog", "main")
dbutils.widgets.text("schema", "tweetlake")
dbutils.widgets.text("model", "cardiffnlp/twitter-roberta-base-sentiment-latest")
catalog = dbutils.widgets.get("catalog")
schema = dbutils.widgets.get("schema")
model_id = dbutils.widgets.get("model")
silver = f"`{catalog}`.`{schema}`.silver"
gold = f"`{catalog}`.`{schema}`.sentiment"

# COMMAND ----------

spark.sql(
    f"CREATE TABLE IF NOT EXISTS {gold} "
    "(id STRING, label STRING, score DOUBLE, model STRING, scored_at TIMESTAMP)"
)
pending = spark.sql(
    f"""SELECT s.id, s.text FROM {silver} s
        LEFT ANTI JOIN (SELECT id FROM {gold} WHERE model = :model) g ON s.id = g.id
        WHERE s.text IS NOT NULL AND trim(s.text) <> ''""",
    args={"model": model_id},
).toPandas()
print(f"{len(pending)} new silver rows to score with {model_id}")

# COMMAND ----------

from datetime import datetime, timezone

import pandas as pd
from transformers import pipeline

LABELS = {
    "label_0": "negative", "label_1": "neutral", "label_2": "positive",
    "neg": "negative", "neu": "neutral", "pos": "positive",
    "negative": "negative", "neutral": "neutral", "positive": "positive",
}


def classify(texts):
    """Labels and scores for a list of texts, labels normalised."""
    clf = pipeline("text-classification", model=model_id, truncation=True)
    out = clf(texts, batch_size=32)
    return [(LABELS.get(o["label"].lower(), o["label"].lower()), float(o["score"])) for o in out]


if len(pending):
    results = classify(pending["text"].tolist())
    scored = pd.DataFrame({
        "id": pending["id"],
        "label": [r[0] for r in results],
        "score": [r[1] for r in results],
        "model": model_id,
        "scored_at": datetime.now(timezone.utc),
    })
    spark.createDataFrame(scored).write.mode("append").saveAsTable(gold.replace("`", ""))
    display(spark.sql(f"SELECT label, count(*) AS n FROM {gold} WHERE model = :model GROUP BY label",
                      args={"model": model_id}))
