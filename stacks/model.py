"""The typed model of a stacks.yaml: system, components, connections, stacks, views.

Plain pydantic data, nothing else: every generator (diagrams, compose, cloud plans,
docs) takes a validated ``StacksFile`` and never the raw YAML. Structural rules
live here (types, enums, patterns, ``extra="forbid"``); rules that span several
parts of the file live in ``stacks.validate``.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

COMPONENT_ID = r"^[a-z][a-z0-9-]{0,28}[a-z0-9]$"
NAME = r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$"
ENV_NAME = r"^[a-z][a-z0-9]{0,11}$"
ENV_VAR = r"^[A-Za-z_][A-Za-z0-9_.]*$"  # any case, dots too: images read names like `discovery.type`
SECRET_REF = r"^[a-z0-9][a-z0-9/_-]{1,126}$"
ColumnType = Literal["BIGINT", "INTEGER", "DOUBLE", "DECIMAL", "VARCHAR", "DATE", "TIMESTAMP", "BOOLEAN"]
COLUMN_TYPES: tuple[ColumnType, ...] = get_args(ColumnType)

ComponentId = Annotated[
    str, Field(pattern=COMPONENT_ID, description="A component id: lowercase letters, digits and '-', 2-30 characters.")
]
Port = Annotated[int, Field(ge=1, le=65535)]


def _scalar_text(value: object) -> object:
    # YAML reads `16` or `1.5` as numbers where a string is meant (versions, env values).
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_scalar_text)]


class Strict(BaseModel):
    # strict: YAML's `yes`/`no` are booleans and must not turn into 1/0 where a number is meant.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)


# ---------------------------------------------------------------- system


class System(Strict):
    """The system as a whole: its name prefixes every cloud resource."""

    name: str = Field(pattern=NAME, description="Short lowercase name, used as the prefix of cloud resource names.")
    label: str | None = Field(None, description="Human name shown on diagrams (defaults to the name).")
    description: str = Field("", description="What the system does, in a sentence (shown in the docs).")
    owner: str | None = Field(None, description="Team or person responsible for the system.")

    @property
    def title(self) -> str:
        return self.label or self.name


# ---------------------------------------------------------------- component settings


PYTHON_SOURCE = "app"


class Build(Strict):
    """Build the image from source: with your Dockerfile, used as is, or one stacks generates (``generate``)."""

    context: str = Field(".", description="Build context, relative to stacks.yaml.")
    dockerfile: str = Field(
        "Dockerfile",
        description="The Dockerfile, relative to the context. Yours (used as is) unless 'generate' is set.",
    )
    target: str | None = Field(None, description="The stage of a multi-stage Dockerfile to build.")
    generate: Literal["python"] | None = Field(
        None,
        description="Have stacks write the Dockerfile for this runtime from 'source', 'requirements' and the "
        "component's command. Without it the Dockerfile is yours and stacks never writes it.",
    )
    source: str = Field(
        PYTHON_SOURCE, description="generate: the source folder copied into the image, relative to the context."
    )
    requirements: str | None = Field(
        None,
        description="generate: the requirements file, relative to the context (default: <source>/requirements.txt).",
    )

    @property
    def requirements_file(self) -> str:
        return self.requirements or f"{self.source}/requirements.txt"


class Security(Strict):
    """How the container runs. Built images default to read-only and uid 10001; prebuilt images to the image's own."""

    read_only: bool = Field(False, description="Read-only root filesystem (/tmp, data_dir and volumes stay writable).")
    user: int | None = Field(
        None, ge=0, le=2147483647, description="The uid (and gid) to run as; unset: the image's own user."
    )


BUILT_SECURITY = Security(read_only=True, user=10001)


class Resources(Strict):
    cpu: float = Field(0.5, gt=0, le=16, description="vCPUs (0.25, 0.5, 1, 2, ...).")
    memory: int = Field(1024, ge=128, le=131072, description="Memory in MiB.")


class Scale(Strict):
    min: int = Field(1, ge=0, le=1000, description="Fewest instances (0: scale to zero where the target can).")
    max: int = Field(1, ge=1, le=1000, description="Most instances.")
    target_cpu: int = Field(60, ge=10, le=95, description="Target CPU utilisation (%) for autoscaling.")
    concurrency: int | None = Field(None, ge=1, le=1000, description="Requests per instance (Cloud Run).")


class Column(Strict):
    name: str = Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$", description="Column name (lowercase, digits, '_').")
    type: ColumnType = Field(description="Column type; DECIMAL is DECIMAL(18,2).")
    nullable: bool = Field(True, description="Whether the column may be empty.")
    description: str = Field("", description="What the column holds.")


class Table(Strict):
    name: str = Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$", description="Table name (lowercase, digits, '_').")
    description: str = Field("", description="What the table holds.")
    columns: list[Column] = Field(min_length=1, description="The columns, in order.")
    primary_key: list[str] = Field(default_factory=list, description="Columns that identify a row.")
    partition_by: str | None = Field(None, description="A DATE column to partition by in the lake and warehouse.")
    cluster_by: list[str] = Field(
        default_factory=list, max_length=4, description="Up to 4 columns to cluster (sort) the data by."
    )


# ---------------------------------------------------------------- components


class ComponentBase(Strict):
    label: str | None = Field(None, description="Name shown on diagrams (defaults to the id).")
    description: str = Field("", description="What this component does (shown on diagrams and in the docs).")
    technology: str | None = Field(None, description="What it is built with, e.g. 'FastAPI', 'DuckDB', 'PostgreSQL'.")
    tier: Literal["edge", "compute", "data"] | None = Field(None, description="Diagram grouping (defaults by kind).")

    @property
    def mode(self) -> str:
        """Which of the kind's rules applies ('' the kind's own; see ``KIND_MODES``)."""
        return ""


class Person(ComponentBase):
    kind: Literal["user"] = Field(description="A person or group using the system (drawn, never deployed).")


class External(ComponentBase):
    kind: Literal["external"] = Field(description="A system outside this one (drawn, never deployed).")
    url: str | None = Field(None, description="Where the external system lives.")


class Deployable(ComponentBase):
    environments: list[str] | None = Field(
        None, description="Environments this component is deployed in (default: all)."
    )


class Workload(Deployable):
    build: Build | None = Field(None, description="Build the image from source (your Dockerfile or a generated one).")
    image: str | None = Field(None, description="A prebuilt image reference instead of build.")
    command: list[Text] | None = Field(None, description="The command the container runs (exec form).")
    env: dict[Annotated[str, Field(pattern=ENV_VAR)], Text] = Field(
        default_factory=dict, description="Environment variables (names in any case the image expects)."
    )
    secrets: dict[Annotated[str, Field(pattern=ENV_VAR)], Annotated[str, Field(pattern=SECRET_REF)]] = Field(
        default_factory=dict,
        description="Env var -> name of a secret in the target's secret store. References only, never values.",
    )
    resources: Resources = Field(Resources(), description="CPU and memory of one instance.")
    security: Security | None = Field(
        None, description="User and read-only root (default: uid 10001, read-only for built images; the image's own)."
    )
    files: dict[Annotated[str, Field(pattern=r"^/[^\s]*$")], str] = Field(
        default_factory=dict,
        description="Config files mounted read-only: container path -> file relative to stacks.yaml (compose only).",
    )

    @property
    def effective_security(self) -> Security:
        if self.security is not None:
            return self.security
        return BUILT_SECURITY if self.build is not None else Security()

    @property
    def health_command(self) -> str | None:
        """The health probe as a shell command, when ``health`` is one rather than an HTTP path."""
        health = getattr(self, "health", None)
        return health if health and not health.startswith("/") else None


class Service(Workload):
    kind: Literal["service"] = Field(description="A long-running HTTP service.")
    port: Port = Field(8000, description="The port the service listens on.")
    health: str = Field(
        "/health",
        pattern=r"^(/\S*|[^/\s].*)$",
        description="Health probe: an HTTP path on the port (e.g. /health), or a shell command run in the container.",
    )
    ready: str | None = Field(None, pattern=r"^/[^\s]*$", description="Readiness path (defaults to health).")
    public: bool = Field(False, description="Reachable from the internet (behind a load balancer).")
    scale: Scale = Field(Scale(), description="Instance counts and autoscaling.")
    data_dir: str | None = Field(None, description="Path inside the container that holds persistent data.")


class StaticSite(Strict):
    """A frontend built into static files and served from object storage behind a CDN (compose: nginx)."""

    source: str = Field(
        pattern=r"^[^/\s][^\s]*$",
        description="The folder holding the frontend's package.json, relative to stacks.yaml (e.g. web).",
    )
    install: list[Text] = Field(
        default_factory=lambda: ["npm", "ci"],
        min_length=1,
        description="The command that installs the dependencies before build and dev, run in 'source' (exec form).",
    )
    build: list[Text] = Field(
        default_factory=lambda: ["npm", "run", "build"],
        min_length=1,
        description="The command that builds the site, run in 'source' (exec form), e.g. [npm, run, build].",
    )
    output: str = Field(
        "dist",
        pattern=r"^[^/\s][^\s]*$",
        description="The folder the build writes, relative to 'source': its files are what is served.",
    )
    dev: list[Text] = Field(
        default_factory=lambda: ["npm", "run", "dev"],
        min_length=1,
        description="compose dev profile: the dev server with hot reload, run in 'source' (exec form).",
    )
    dev_port: Port = Field(5173, description="compose dev profile: the port the dev server listens on.")
    api_path: str = Field(
        "/api",
        pattern=r"^/[a-z0-9][a-z0-9/_-]*[a-z0-9]$",
        description="Requests under this path go to the API the frontend connects to (/api/* on every target).",
    )
    csp: str = Field(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        min_length=1,
        description="The Content-Security-Policy header every response of the site carries.",
    )


class Frontend(Workload):
    kind: Literal["frontend"] = Field(description="A web frontend served over HTTP.")
    static: StaticSite | None = Field(
        None,
        description="Serve the frontend as static files built from source (S3 + CloudFront, Cloud Storage + Cloud "
        "CDN, nginx locally) instead of running a container; '/api' goes to the connected API.",
    )

    @property
    def mode(self) -> str:
        """Which of the kind's rules applies: 'static' for a static site, '' for a container."""
        return "static" if self.static is not None else ""

    port: Port = Field(8080, description="The port the frontend listens on.")
    health: str = Field(
        "/",
        pattern=r"^(/\S*|[^/\s].*)$",
        description="Health probe: an HTTP path on the port (e.g. /health), or a shell command run in the container.",
    )
    ready: str | None = Field(None, pattern=r"^/[^\s]*$", description="Readiness path (defaults to health).")
    public: bool = Field(True, description="Reachable from the internet (behind a load balancer).")
    scale: Scale = Field(Scale(), description="Instance counts and autoscaling.")


class Worker(Workload):
    kind: Literal["worker"] = Field(
        description="A long-running process without a port (queue consumer, stream processor)."
    )
    scale: Scale = Field(Scale(), description="Instance counts and autoscaling.")
    health: str | None = Field(
        None, pattern=r"^[^/\s].*$", description="Health probe: a shell command run in the container."
    )
    data_dir: str | None = Field(None, description="Path inside the container that holds persistent data (a volume).")


class Job(Workload):
    kind: Literal["job"] = Field(description="A run-to-completion task: once per deploy, on a schedule, or on demand.")
    schedule: str | None = Field(None, description="Cron schedule; without one the job runs once per deploy.")
    before: list[str] = Field(default_factory=list, description="Components that wait for this job to finish.")


class Trigger(Strict):
    """One thing that invokes a function: exactly one of schedule, queue, bucket (with a prefix) or http."""

    schedule: str | None = Field(None, description="Cron schedule (UTC) the function runs on.")
    queue: ComponentId | None = Field(None, description="A queue component whose messages invoke the function.")
    bucket: ComponentId | None = Field(None, description="A bucket component whose new objects invoke it.")
    prefix: str | None = Field(None, description="With bucket: only objects whose key starts with this.")
    http: bool = Field(False, description="Invoked over HTTP through a gateway's route to it.")

    @model_validator(mode="after")
    def _one_source(self) -> Trigger:
        sources = [k for k in ("schedule", "queue", "bucket") if getattr(self, k)] + (["http"] if self.http else [])
        if len(sources) != 1:
            raise ValueError("a trigger takes exactly one of schedule, queue, bucket or http")
        if self.prefix is not None and not self.bucket:
            raise ValueError("prefix filters a bucket trigger: add bucket")
        return self


class Function(Workload):
    """Code run per event: a Lambda function on AWS, a Cloud Run service on GCP, a container in compose."""

    kind: Literal["function"] = Field(description="Code run per event (Lambda, Cloud Run; a container locally).")
    port: Port = Field(8080, description="Where the image answers HTTP (Cloud Run and compose).")
    timeout: int = Field(60, ge=1, le=900, description="Seconds one invocation may run.")
    concurrency: int = Field(
        10, ge=1, le=1000, description="Invocations at once (Lambda reserved concurrency; Cloud Run max instances)."
    )
    triggers: list[Trigger] = Field(default_factory=list, description="What invokes the function.")


class Route(Strict):
    """One route of a gateway: requests whose path starts with ``path`` go to the component ``to``."""

    path: str = Field(
        pattern=r"^/([A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*)?$",
        description="Path prefix, e.g. /orders (no trailing slash; / routes everything else).",
    )
    to: ComponentId = Field(description="The service, frontend or function (with an http trigger) it goes to.")


class GatewayAuth(Strict):
    """Who may call a gateway: anyone, holders of an API key, or bearers of a JWT from one issuer."""

    type: Literal["none", "api_key", "jwt"] = Field(
        "none", description="none; api_key (the X-Api-Key header); jwt (a bearer token the gateway verifies)."
    )
    issuer: str | None = Field(
        None, pattern=r"^https://\S+$", description="jwt: the token issuer (an https URL serving its keys)."
    )
    audience: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="jwt: accepted audiences (the token's aud claim)."
    )
    key_secret: str | None = Field(
        None,
        pattern=SECRET_REF,
        description="api_key: name of the secret in the target's secret store holding the key (never the key).",
    )

    @model_validator(mode="after")
    def _complete(self) -> GatewayAuth:
        if self.type == "jwt" and (not self.issuer or not self.audience):
            raise ValueError("jwt auth needs issuer and audience")
        if self.type == "api_key" and not self.key_secret:
            raise ValueError("api_key auth needs key_secret: the name of the secret holding the key")
        if self.type != "jwt" and (self.issuer or self.audience):
            raise ValueError("issuer and audience apply to type: jwt only")
        if self.type != "api_key" and self.key_secret:
            raise ValueError("key_secret applies to type: api_key only")
        return self


class Throttling(Strict):
    rate: int = Field(100, ge=1, le=10000, description="Steady requests per second the gateway accepts.")
    burst: int = Field(200, ge=1, le=5000, description="Requests above the rate accepted at once.")


class Gateway(Deployable):
    """A managed API front door: routes path prefixes to services and functions, with auth and throttling."""

    kind: Literal["gateway"] = Field(
        description="An API front door (API Gateway HTTP API, an HTTPS load balancer with Cloud Armor; nginx locally)."
    )
    routes: list[Route] = Field(min_length=1, description="Path prefix -> component; the longest prefix wins.")
    auth: GatewayAuth = Field(GatewayAuth(), description="Who may call the gateway.")
    throttling: Throttling = Field(
        Throttling(), description="Request rate limits (all clients on AWS; per client IP on GCP and locally)."
    )
    public: bool = Field(True, description="Reachable from the internet (default); false: from inside the stack.")


class Bucket(Deployable):
    kind: Literal["bucket"] = Field(description="An object store bucket (S3, GCS; MinIO locally).")
    purpose: Literal["lake", "assets", "logs", "backups", "exports"] = Field(
        "lake", description="What the bucket holds; it sets lifecycle defaults and the diagram icon."
    )
    public: bool = Field(False, description="Objects readable by anyone (default: private).")
    versioning: bool = Field(True, description="Keep earlier versions of overwritten objects.")
    expire_days: int | None = Field(None, ge=1, le=3650, description="Delete objects after this many days.")


class Warehouse(Deployable):
    kind: Literal["warehouse"] = Field(
        description="An analytical warehouse over a lake (Athena, BigQuery; DuckDB locally)."
    )
    lake: str | None = Field(None, description="The bucket component whose Parquet files back the tables.")
    tables: list[Table] = Field(default_factory=list, description="The tables the warehouse exposes.")


class Database(Deployable):
    kind: Literal["database"] = Field(
        description="A managed relational database (RDS, Cloud SQL; a container locally)."
    )
    engine: Literal["postgres", "mysql"] = Field("postgres", description="The database engine.")
    version: Text | None = Field(None, description="Engine version (default: 16 for postgres, 8.4 for mysql).")
    storage_gb: int = Field(20, ge=5, le=65536, description="Allocated storage in GiB.")
    multi_az: bool | None = Field(
        None,
        description="A standby in a second zone with automatic failover (RDS Multi-AZ, Cloud SQL REGIONAL). "
        "Default: on where the environment sets deletion_protection.",
    )
    backup_retention_days: int | None = Field(
        None, ge=1, le=35, description="Days of automated backups and point-in-time recovery (default: 14 in prod, 7)."
    )
    read_replicas: int = Field(0, ge=0, le=5, description="Read-only replicas that follow the primary.")

    @property
    def engine_version(self) -> str:
        return self.version or DEFAULT_DB_VERSIONS[self.engine]


DEFAULT_DB_VERSIONS = {"postgres": "16", "mysql": "8.4"}


class Cache(Deployable):
    kind: Literal["cache"] = Field(description="An in-memory cache (ElastiCache, Memorystore; a container locally).")
    engine: Literal["redis", "memcached"] = Field("redis", description="The cache engine.")
    memory: int = Field(512, ge=128, le=262144, description="Memory in MiB.")


class Queue(Deployable):
    kind: Literal["queue"] = Field(description="A message queue (SQS; ElasticMQ locally).")
    fifo: bool = Field(False, description="First-in-first-out delivery with deduplication.")
    retention_hours: int = Field(96, ge=1, le=336, description="How long an unconsumed message is kept.")


# Every component class: what a typed function takes when it handles any component.
AnyComponent = (
    Person
    | External
    | Frontend
    | Service
    | Worker
    | Job
    | Function
    | Gateway
    | Bucket
    | Warehouse
    | Database
    | Cache
    | Queue
)
Component = Annotated[AnyComponent, Field(discriminator="kind")]
KINDS = (
    "user",
    "external",
    "frontend",
    "service",
    "worker",
    "job",
    "function",
    "gateway",
    "bucket",
    "warehouse",
    "database",
    "cache",
    "queue",
)
WORKLOAD_KINDS = ("frontend", "service", "worker", "job", "function")
ROUTABLE_KINDS = ("service", "frontend", "function")  # what a gateway route may point at
NOT_DEPLOYED_KINDS = ("user", "external")
# Kinds deployed in more than one way: each mode is a rule of its own in every target's table.
KIND_MODES: dict[str, tuple[str, ...]] = {"frontend": ("static",)}


# ---------------------------------------------------------------- connections


class Connection(Strict):
    from_: ComponentId = Field(alias="from")
    to: ComponentId = Field(description="The component called, or where data goes.")
    label: str = Field("", description="What the connection does (shown on the arrow).")
    protocol: Literal[
        "https", "http", "grpc", "graphql", "tcp", "sql", "postgres", "mysql", "redis", "s3", "gcs", "amqp", "file"
    ] = Field("https", description="The protocol spoken.")
    port: Port | None = Field(None, description="The port connected to (shown on diagrams).")
    flow: Literal["request", "data"] = Field(
        "request", description="'request': a caller uses a callee. 'data': data moves from 'from' to 'to'."
    )
    data: str | None = Field(None, description="What flows, for data flows (e.g. 'orders as Parquet').")


# ---------------------------------------------------------------- stacks


class ComponentOverride(Strict):
    resources: Resources | None = Field(None, description="CPU and memory in this environment.")
    scale: Scale | None = Field(None, description="Instance counts in this environment.")
    env: dict[Annotated[str, Field(pattern=ENV_VAR)], Text] = Field(
        default_factory=dict, description="Environment variables added or changed in this environment."
    )


class Environment(Strict):
    """Per-environment settings of one stack."""

    domain: str | None = Field(
        None,
        max_length=253,
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        description=(
            "The public domain of the environment's one public entry point (a public service or frontend); "
            "two public components on one domain are refused."
        ),
    )
    dns_zone: str | None = Field(None, description="Hosted zone (AWS) or managed zone (GCP) for the domain's record.")
    cdn: bool = Field(False, description="Serve public traffic through a CDN.")
    nat: Literal["none", "single", "per_az"] = Field("single", description="AWS: NAT gateways for private subnets.")
    availability_zones: int = Field(2, ge=2, le=6, description="AWS: availability zones to spread over.")
    vpc_cidr: str = Field(
        "10.0.0.0/16",
        pattern=r"^(\d{1,3}\.){3}\d{1,3}/(1[6-9])$",
        description="The private network's address range, /16 to /19 (AWS VPC; GCP subnet + database tier).",
    )
    deletion_protection: bool = Field(False, description="Protect databases and buckets from deletion.")
    log_retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653] = Field(
        30, description="Days logs are kept."
    )
    alert_email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", description="Where alerts are sent.")
    components: dict[ComponentId, ComponentOverride] = Field(
        default_factory=dict, description="Per-component overrides in this environment."
    )


class AwsSettings(Strict):
    region: str = Field(description="AWS region, e.g. eu-west-1.")


class GcpSettings(Strict):
    project: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", description="GCP project id.")
    region: str = Field(description="GCP region, e.g. europe-west1.")


class StackBase(Strict):
    description: str = Field("", description="What this stack is for.")
    components: list[ComponentId] | None = Field(
        None, description="Components this stack deploys (default: every deployable component)."
    )
    environments: dict[Annotated[str, Field(pattern=ENV_NAME)], Environment] = Field(
        min_length=1, description="The environments of this stack and their settings."
    )


class ComposeStack(StackBase):
    target: Literal["compose"] = Field(description="Runs locally under docker compose.")


class AwsStack(StackBase):
    target: Literal["aws"] = Field(description="Deploys to AWS.")
    region: str = Field(description="AWS region, e.g. eu-west-1.")


class GcpStack(StackBase):
    target: Literal["gcp"] = Field(description="Deploys to Google Cloud.")
    project: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", description="GCP project id.")
    region: str = Field(description="GCP region, e.g. europe-west1.")


class HybridStack(StackBase):
    target: Literal["hybrid"] = Field(description="Deploys across AWS and Google Cloud.")
    aws: AwsSettings = Field(description="The AWS side's settings.")
    gcp: GcpSettings = Field(description="The Google Cloud side's settings.")
    placement: dict[ComponentId, Literal["aws", "gcp"]] = Field(
        description="Which cloud each deployed component runs on."
    )


AnyStack = ComposeStack | AwsStack | GcpStack | HybridStack
Stack = Annotated[AnyStack, Field(discriminator="target")]
TARGETS = ("compose", "aws", "gcp", "hybrid")


# ---------------------------------------------------------------- views

ViewName = Literal["system", "containers", "dataflow", "development", "deployment", "aws", "gcp", "hybrid"]
VIEW_NAMES: tuple[ViewName, ...] = get_args(ViewName)


class ViewSettings(Strict):
    title: str | None = Field(None, description="Title of the view's diagram.")
    direction: Literal["LR", "TB", "RL", "BT"] | None = Field(None, description="Layout direction of this view.")
    exclude: list[ComponentId] = Field(default_factory=list, description="Components left out of this view.")


class Views(Strict):
    direction: Literal["LR", "TB", "RL", "BT"] = Field("LR", description="Default layout direction: LR, TB, RL or BT.")
    include: list[ViewName] = Field(default_factory=lambda: list(VIEW_NAMES), description="The views drawn.")
    rank: list[list[ComponentId]] = Field(
        default_factory=list, description="Groups of components drawn on the same rank, in order."
    )
    output: str = Field("docs/architecture", description="Where diagrams and the docs page are written.")
    settings: dict[ViewName, ViewSettings] = Field(default_factory=dict, description="Per-view settings.")


# ---------------------------------------------------------------- the file


class StacksFile(Strict):
    """A stacks.yaml: one system, its components, their connections and the stacks it runs on."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True, title="stacks.yaml")

    version: Literal[1] = Field(1, description="The stacks.yaml format version.")
    system: System = Field(description="The system as a whole.")
    environments: list[Annotated[str, Field(pattern=ENV_NAME)]] = Field(
        default_factory=lambda: ["dev", "staging", "prod"],
        min_length=1,
        description="Environment names every stack may define settings for.",
    )
    components: dict[ComponentId, Component] = Field(min_length=1, description="The components of the system, by id.")
    connections: list[Connection] = Field(default_factory=list, description="Who talks to whom, and where data flows.")
    stacks: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,19}$")], Stack] = Field(
        default_factory=dict, description="Where the system runs: compose, aws, gcp or hybrid stacks, by id."
    )
    views: Views = Field(Views(), description="Which diagrams are drawn and how.")

    @field_validator("environments")
    @classmethod
    def _unique_environments(cls, value: list[str]) -> list[str]:
        dupes = sorted({v for v in value if value.count(v) > 1})
        if dupes:
            raise ValueError(f"environment '{dupes[0]}' is listed twice")
        return value
