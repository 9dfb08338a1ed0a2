/**
 * The bundled sample's post texts, written for this project (no real tweets): per language,
 * per topic, templates whose `{slots}` are filled from the word lists below. The sentiment a
 * template carries is its third field (what a reader would say; the model may disagree).
 */

/** A topic of the sample's posts. */
export type Topic =
  | "talk"
  | "release"
  | "outage"
  | "joke"
  | "question"
  | "job"
  | "complaint"
  | "praise"
  | "sarcasm"
  | "announcement";

/** A language of the sample. */
export type Lang = "en" | "es" | "de" | "fr" | "pt";

/** Words that fill a template's `{slot}`s. */
export const SLOTS: Record<string, string[]> = {
  tool: [
    "Delta Lake",
    "DuckDB",
    "Spark",
    "Autoloader",
    "Delta Live Tables",
    "Lakeflow",
    "Kafka",
    "dbt",
    "Airflow",
    "Parquet",
    "Iceberg",
    "Flink",
  ],
  feature: [
    "change data capture",
    "schema evolution",
    "liquid clustering",
    "row-level lineage",
    "expectations",
    "incremental refresh",
    "time travel",
    "vector search",
    "serverless compute",
    "materialized views",
  ],
  version: ["2.4", "3.1", "3.2.1", "4.0", "1.5", "0.9-beta", "2.0", "5.1 LTS"],
  conf: [
    "Data + AI Summit",
    "Berlin Data Meetup",
    "PyData Lisbon",
    "Current London",
    "Lakehouse Days",
    "DataEngBytes",
  ],
  day: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
  hour: ["9am", "10:30", "noon", "2pm", "4pm", "6pm"],
  city: ["Berlin", "Madrid", "Lisbon", "Paris", "Austin", "Dublin", "São Paulo", "Toronto"],
  n: ["3", "4", "7", "12", "40", "90", "200"],
  role: [
    "data engineer",
    "analytics engineer",
    "platform engineer",
    "ML engineer",
    "staff data engineer",
  ],
};

type Entry = [topic: Topic, template: string, sentiment: "positive" | "negative" | "neutral"];

/** The templates, per language. */
export const TEMPLATES: Record<Lang, Entry[]> = {
  en: [
    ["talk", "Great talk at {conf} on {feature} in {tool}, slides are already up", "positive"],
    ["talk", "Just gave my talk on {feature} at {conf}, thanks everyone who came", "positive"],
    [
      "talk",
      "The {feature} session at {conf} was way too basic, left after ten minutes",
      "negative",
    ],
    ["talk", "Live from {conf}: keynote about {tool} and {feature} starts at {hour}", "neutral"],
    ["talk", "Best session of {conf} so far: how one team cut costs with {feature}", "positive"],
    ["talk", "Notes from my {conf} talk on {tool} are on the blog", "neutral"],
    [
      "talk",
      "Room full for the {tool} workshop at {conf}, people sitting on the floor",
      "positive",
    ],
    ["talk", "Missed the {feature} talk at {conf}, is there a recording?", "neutral"],
    ["release", "{tool} {version} is out with {feature}, upgrading today", "positive"],
    [
      "release",
      "Release notes for {tool} {version}: {feature}, bug fixes, faster reads",
      "neutral",
    ],
    ["release", "{tool} {version} finally ships {feature} and it is fantastic", "positive"],
    ["release", "Upgraded to {tool} {version} and half our jobs broke", "negative"],
    ["release", "{tool} {version} is now available in preview", "neutral"],
    ["release", "Love the new {feature} in {tool} {version}, huge time saver", "positive"],
    [
      "release",
      "{tool} {version} changed a default without telling anyone, thanks a lot",
      "negative",
    ],
    ["release", "Reading the changelog of {tool} {version} with coffee", "neutral"],
    ["outage", "{tool} is down again, third time this week", "negative"],
    ["outage", "Our {tool} pipeline has been failing since {hour}, nobody knows why", "negative"],
    [
      "outage",
      "Outage update: {tool} ingestion is back, {n} minutes of lag to catch up",
      "neutral",
    ],
    ["outage", "Paged at 3am because {tool} ran out of disk, awful night", "negative"],
    ["outage", "Post-mortem for yesterday's {tool} incident is published", "neutral"],
    [
      "outage",
      "Incident resolved: {tool} jobs are healthy again, thanks to the on-call team",
      "positive",
    ],
    ["outage", "Lost a whole day of data because {tool} silently dropped files", "negative"],
    ["outage", "Status page says {tool} is degraded in {city}", "neutral"],
    [
      "joke",
      "My {tool} job and I have something in common: we both need a restart every morning",
      "neutral",
    ],
    [
      "joke",
      "There are two hard things: cache invalidation, naming things and off-by-one errors in {tool}",
      "neutral",
    ],
    ["joke", "{tool} walks into a bar, orders {n} beers, gets them exactly once", "positive"],
    ["joke", "I asked for {feature}. They gave me a spreadsheet. Close enough", "neutral"],
    [
      "joke",
      "Data engineering is just moving JSON from one folder to another with extra steps",
      "neutral",
    ],
    ["joke", "Day {n} of explaining that {tool} is not a database. Or is it", "neutral"],
    ["joke", "My favourite streaming table is the one that finally finished", "positive"],
    ["joke", "Me: the pipeline is idempotent. The pipeline: duplicates {n} rows", "negative"],
    ["question", "Has anyone used {feature} with {tool} in production? How did it go?", "neutral"],
    ["question", "What is the best way to test {feature} locally before deploying?", "neutral"],
    ["question", "Why does {tool} read every file again after a restart? Any ideas?", "negative"],
    ["question", "Is {tool} {version} stable enough for a new project?", "neutral"],
    ["question", "How do you monitor {feature} failures in {tool}?", "neutral"],
    ["question", "Quick poll: {tool} or a plain Postgres for {n} million rows a day?", "neutral"],
    ["question", "Anyone at {conf} want to grab lunch and talk about {feature}?", "positive"],
    ["question", "Can someone explain {feature} like I am five?", "neutral"],
    ["job", "We are hiring a {role} in {city}, {tool} and {feature} experience welcome", "neutral"],
    ["job", "My team is looking for a {role}, remote friendly, great people, DM me", "positive"],
    ["job", "Open role: {role} to build our {tool} platform", "neutral"],
    ["job", "After {n} interviews for a {role} job I got ghosted, frustrating", "negative"],
    ["job", "Excited to start as a {role} on Monday, new chapter", "positive"],
    ["job", "Hiring: {role}, {city} or remote, we use {tool} daily", "neutral"],
    ["job", "Looking for my next {role} role, open to work and happy to chat", "neutral"],
    ["job", "Just got promoted to {role}, thank you to my amazing team", "positive"],
    ["complaint", "The {tool} docs for {feature} are outdated and confusing", "negative"],
    ["complaint", "Why is {tool} so slow on small files? This is painful", "negative"],
    [
      "complaint",
      "Support closed my {tool} ticket without reading it, terrible experience",
      "negative",
    ],
    ["complaint", "The cloud bill for {tool} this month is ridiculous", "negative"],
    [
      "complaint",
      "Spent {n} hours debugging {feature}, the error messages are useless",
      "negative",
    ],
    ["complaint", "I hate that {tool} still has no proper local mode", "negative"],
    ["complaint", "Another breaking change in {tool}, really disappointed", "negative"],
    ["complaint", "The {tool} UI logs me out every {n} minutes, so annoying", "negative"],
    ["praise", "{feature} in {tool} just saved my week, amazing work", "positive"],
    ["praise", "Huge thanks to the {tool} maintainers, the new {feature} is brilliant", "positive"],
    ["praise", "Our pipeline is {n}x faster after moving to {tool}, so happy", "positive"],
    ["praise", "I love how simple {feature} is in {tool}", "positive"],
    ["praise", "Shout out to the team that built {feature}, it just works", "positive"],
    ["praise", "{tool} is the best thing that happened to our data platform this year", "positive"],
    ["praise", "Beautiful dashboard built on {tool} by our interns, really impressed", "positive"],
    ["praise", "Finally a {feature} implementation that I enjoy using", "positive"],
    ["sarcasm", "Oh great, {tool} is down during the demo, perfect timing", "negative"],
    ["sarcasm", "Love it when {feature} works in dev and nowhere else", "negative"],
    ["sarcasm", "Nothing says Friday like a {tool} upgrade at {hour}", "negative"],
    ["sarcasm", "Wow, only {n} retries this time. {tool} is really improving", "negative"],
    ["sarcasm", "Sure, let us rewrite everything in {tool} again, what could go wrong", "negative"],
    ["sarcasm", "Thanks {tool} for deleting my checkpoint, I needed the exercise", "negative"],
    ["sarcasm", "Amazing, another YAML file to configure {feature}", "negative"],
    [
      "sarcasm",
      "Best feature of {tool} {version}: the new error messages nobody understands",
      "negative",
    ],
    ["announcement", "The {conf} schedule is online, {n} talks about {feature}", "neutral"],
    ["announcement", "Reminder: the {city} data meetup is on {day} at {hour}", "neutral"],
    ["announcement", "Our {feature} webinar moves to {day} at {hour}", "neutral"],
    ["announcement", "New blog post: moving {n} pipelines to {tool}", "neutral"],
    ["announcement", "Maintenance window for {tool} on {day} from {hour}", "neutral"],
    ["announcement", "We published a guide on {feature} with {tool}", "neutral"],
    ["announcement", "Call for papers for {conf} closes on {day}", "neutral"],
    ["announcement", "The {tool} community call is on {day}, agenda in the thread", "neutral"],
  ],
  es: [
    ["talk", "Gran charla en {conf} sobre {feature} con {tool}, muy recomendable", "positive"],
    ["talk", "La charla de {feature} en {conf} fue aburrida y demasiado básica", "negative"],
    ["release", "Ya salió {tool} {version} con {feature}, ¡por fin!", "positive"],
    ["release", "Actualicé a {tool} {version} y se rompieron todos los jobs", "negative"],
    ["outage", "{tool} está caído otra vez, qué desastre", "negative"],
    ["outage", "Incidente resuelto: {tool} funciona de nuevo desde las {hour}", "neutral"],
    ["joke", "Mi pipeline de {tool} y yo necesitamos un café cada mañana", "neutral"],
    ["question", "¿Alguien usa {feature} con {tool} en producción?", "neutral"],
    ["job", "Buscamos {role} en {city}, experiencia con {tool}", "neutral"],
    ["complaint", "La documentación de {tool} sobre {feature} es horrible", "negative"],
    ["praise", "Me encanta {feature} en {tool}, increíble trabajo", "positive"],
    ["sarcasm", "Qué bien, {tool} caído justo durante la demo", "negative"],
    ["announcement", "El meetup de datos de {city} es el {day} a las {hour}", "neutral"],
  ],
  de: [
    ["talk", "Super Vortrag auf {conf} über {feature} mit {tool}, danke", "positive"],
    ["talk", "Der Vortrag über {feature} war leider sehr oberflächlich", "negative"],
    ["release", "{tool} {version} ist da, endlich mit {feature}", "positive"],
    ["release", "Nach dem Update auf {tool} {version} ist alles kaputt", "negative"],
    ["outage", "{tool} ist schon wieder ausgefallen, furchtbar", "negative"],
    ["outage", "Störung behoben: {tool} läuft wieder seit {hour}", "neutral"],
    ["joke", "Mein {tool} Job braucht morgens genauso lange wie ich", "neutral"],
    ["question", "Hat jemand {feature} mit {tool} produktiv im Einsatz?", "neutral"],
    ["job", "Wir suchen einen {role} in {city}, {tool} Erfahrung erwünscht", "neutral"],
    ["complaint", "Die Doku zu {feature} in {tool} ist völlig veraltet", "negative"],
    ["praise", "Ich liebe {feature} in {tool}, großartige Arbeit", "positive"],
    ["sarcasm", "Toll, {tool} fällt genau während der Demo aus", "negative"],
    ["announcement", "Das Daten-Meetup in {city} ist am {day} um {hour}", "neutral"],
  ],
  fr: [
    ["talk", "Super présentation à {conf} sur {feature} avec {tool}", "positive"],
    ["talk", "La présentation sur {feature} était vraiment décevante", "negative"],
    ["release", "{tool} {version} est sorti avec {feature}, génial", "positive"],
    ["release", "Mise à jour vers {tool} {version} et plus rien ne marche", "negative"],
    ["outage", "Encore une panne de {tool}, c'est nul", "negative"],
    ["outage", "Incident résolu : {tool} refonctionne depuis {hour}", "neutral"],
    ["joke", "Mon pipeline {tool} et moi avons besoin d'un café le matin", "neutral"],
    ["question", "Quelqu'un utilise {feature} avec {tool} en production ?", "neutral"],
    ["job", "Nous recrutons un {role} à {city}, expérience {tool} appréciée", "neutral"],
    ["complaint", "La documentation de {tool} sur {feature} est incompréhensible", "negative"],
    ["praise", "J'adore {feature} dans {tool}, excellent travail", "positive"],
    ["sarcasm", "Parfait, {tool} tombe en panne pendant la démo", "negative"],
    ["announcement", "Le meetup data de {city} a lieu {day} à {hour}", "neutral"],
  ],
  pt: [
    ["talk", "Ótima palestra no {conf} sobre {feature} com {tool}", "positive"],
    ["talk", "A palestra sobre {feature} foi fraca, saí no meio", "negative"],
    ["release", "Saiu o {tool} {version} com {feature}, finalmente", "positive"],
    ["release", "Atualizei para {tool} {version} e quebrou tudo", "negative"],
    ["outage", "{tool} caiu de novo, que horror", "negative"],
    ["outage", "Incidente resolvido: {tool} voltou a funcionar às {hour}", "neutral"],
    ["joke", "Meu pipeline de {tool} também precisa de café de manhã", "neutral"],
    ["question", "Alguém usa {feature} com {tool} em produção?", "neutral"],
    ["job", "Estamos contratando {role} em {city}, experiência com {tool}", "neutral"],
    ["complaint", "A documentação do {tool} sobre {feature} é péssima", "negative"],
    ["praise", "Adoro o {feature} no {tool}, trabalho incrível", "positive"],
    ["sarcasm", "Que maravilha, o {tool} caiu bem na hora da demo", "negative"],
    ["announcement", "O meetup de dados de {city} é na {day} às {hour}", "neutral"],
  ],
};

/** Emojis per sentiment (some posts carry one). */
export const EMOJIS: Record<string, string[]> = {
  positive: ["🎉", "🚀", "❤️", "👏", "😍", "🙌"],
  negative: ["😡", "😞", "💔", "🙄", "🔥", "😤"],
  neutral: ["📅", "📌", "🔗", "🤔", "👀", "☕"],
};

/** Hashtags the posts carry (the original's stream rules matched some of these). */
export const HASHTAGS = [
  "#DeltaLake",
  "#Databricks",
  "#lakehouse",
  "#dataengineering",
  "#streaming",
  "#DLT",
  "#duckdb",
  "#ApacheSpark",
  "#DataQuality",
];

/** Places (X `includes.places` entries) per language. */
export const PLACES: Record<
  Lang,
  { id: string; full_name: string; country: string; country_code: string; name: string }[]
> = {
  en: [
    {
      id: "5a110d312052166f",
      full_name: "San Francisco, CA",
      country: "United States",
      country_code: "US",
      name: "San Francisco",
    },
    {
      id: "c3f37afa9efcf94b",
      full_name: "Austin, TX",
      country: "United States",
      country_code: "US",
      name: "Austin",
    },
    {
      id: "01a9a39529b27f36",
      full_name: "New York, NY",
      country: "United States",
      country_code: "US",
      name: "New York",
    },
    {
      id: "457b4814b4240d87",
      full_name: "London, England",
      country: "United Kingdom",
      country_code: "GB",
      name: "London",
    },
    {
      id: "7dde0febc9ef245b",
      full_name: "Dublin City, Ireland",
      country: "Ireland",
      country_code: "IE",
      name: "Dublin City",
    },
    {
      id: "3797791ff9c0e4c6",
      full_name: "Toronto, Ontario",
      country: "Canada",
      country_code: "CA",
      name: "Toronto",
    },
    {
      id: "01864a8a64df9dc4",
      full_name: "Sydney, New South Wales",
      country: "Australia",
      country_code: "AU",
      name: "Sydney",
    },
    {
      id: "1c7e8e6a1b2f3d4e",
      full_name: "Bengaluru, India",
      country: "India",
      country_code: "IN",
      name: "Bengaluru",
    },
  ],
  es: [
    {
      id: "206d23e4ed6ac6ab",
      full_name: "Madrid, España",
      country: "Spain",
      country_code: "ES",
      name: "Madrid",
    },
    {
      id: "1a27537478fd9f6a",
      full_name: "Barcelona, España",
      country: "Spain",
      country_code: "ES",
      name: "Barcelona",
    },
    {
      id: "25530ba03b7d90c6",
      full_name: "Ciudad de México, México",
      country: "Mexico",
      country_code: "MX",
      name: "Ciudad de México",
    },
    {
      id: "018f1cde6bad9747",
      full_name: "Buenos Aires, Argentina",
      country: "Argentina",
      country_code: "AR",
      name: "Buenos Aires",
    },
  ],
  de: [
    {
      id: "3078869807f9dd36",
      full_name: "Berlin, Deutschland",
      country: "Germany",
      country_code: "DE",
      name: "Berlin",
    },
    {
      id: "a2d6d0e0b2f1c3d4",
      full_name: "München, Deutschland",
      country: "Germany",
      country_code: "DE",
      name: "München",
    },
    {
      id: "9f659d51e5c5deae",
      full_name: "Wien, Österreich",
      country: "Austria",
      country_code: "AT",
      name: "Wien",
    },
    {
      id: "5b9dcf2a3fd2e1c0",
      full_name: "Zürich, Schweiz",
      country: "Switzerland",
      country_code: "CH",
      name: "Zürich",
    },
  ],
  fr: [
    {
      id: "09f6a7707f18e0b1",
      full_name: "Paris, France",
      country: "France",
      country_code: "FR",
      name: "Paris",
    },
    {
      id: "6f1e7c3b1a2b3c4d",
      full_name: "Lyon, France",
      country: "France",
      country_code: "FR",
      name: "Lyon",
    },
    {
      id: "378f3ed6ef1d7f2c",
      full_name: "Montréal, Québec",
      country: "Canada",
      country_code: "CA",
      name: "Montréal",
    },
  ],
  pt: [
    {
      id: "68e019afec7d0ba5",
      full_name: "São Paulo, Brasil",
      country: "Brazil",
      country_code: "BR",
      name: "São Paulo",
    },
    {
      id: "97bcdfca1a2a2a2a",
      full_name: "Rio de Janeiro, Brasil",
      country: "Brazil",
      country_code: "BR",
      name: "Rio de Janeiro",
    },
    {
      id: "2d4b2a0b8c8c1f1f",
      full_name: "Lisboa, Portugal",
      country: "Portugal",
      country_code: "PT",
      name: "Lisboa",
    },
  ],
};
