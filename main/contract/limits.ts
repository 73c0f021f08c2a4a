/**
 * Every limit on what a client, an app or a build may ask of the core, in one table: each a named
 * constant with the reason for its number. Each is enforced where its input arrives, before any work
 * starts, and answered with the same clear 4xx wherever it is hit. SECURITY.md lists them.
 * (Plain constants: the renderer and the CLI import this file too.)
 */

// ---------------------------------------------------------------------------------------------
// API edge: requests, bodies, logins.
// ---------------------------------------------------------------------------------------------

/** Bytes of a JSON body from a caller who is not signed in (register, login): a few short fields. */
export const API_ANONYMOUS_BODY_LIMIT = 16 * 1024;
/**
 * Bytes of any other JSON body: an app's whole config may be 1 MiB (Controller inputs) and a
 * certificate with its chain and key a few hundred KiB; twice that leaves room for JSON escaping.
 */
export const API_BODY_LIMIT = 2 * 1024 * 1024;
/**
 * Body bytes being received across all requests at once: eight bodies of the largest size. A parsed
 * body can take ~20× its size in memory, so this keeps a burst of big requests to a few hundred MB.
 */
export const API_BODY_BYTES_IN_FLIGHT = 16 * 1024 * 1024;
/** A refused body up to this size is read and dropped so the connection stays usable; a bigger one closes it. */
export const API_DRAIN_LIMIT = 64 * 1024;
/** Time to send a request's headers: a client on loopback needs milliseconds; slow ones hold a connection. */
export const API_HEADERS_TIMEOUT_MS = 10_000;
/** Time to send a whole request (headers and body); answers (deploys, streams) may take as long as they need. */
export const API_REQUEST_TIMEOUT_MS = 30_000;
/** Open connections to the API: the UI, CLIs and streams use a few dozen; beyond this new ones are closed. */
export const API_MAX_CONNECTIONS = 512;
/**
 * Password hashes computed at once (scrypt: ~16 MB and 50-150 ms of a core each, on the thread pool),
 * and never more than the machine's cores less one, so the API's own thread always has a core.
 */
export const PASSWORD_HASHES_AT_ONCE = 2;
/** Sign-ins waiting for a hash: about a second of work; more get a 429 at once instead of queueing. */
export const PASSWORD_HASHES_WAITING = 16;
/** Tokens (signed-in sessions) per user: each login issues one; past this the oldest is revoked. */
export const TOKENS_PER_USER = 20;

// ---------------------------------------------------------------------------------------------
// Builder: pushes, folder deploys, the SSH server, build output.
// ---------------------------------------------------------------------------------------------

/** Bytes of a deployed folder (what would be committed, .gitignore applied): an app's source is a few MB; more means dependencies or build output are not ignored. */
export const FOLDER_DEPLOY_MAX_BYTES = 200 * 1024 * 1024;
/** Files of a deployed folder: large apps have a few thousand; node_modules alone has tens of thousands. */
export const FOLDER_DEPLOY_MAX_FILES = 20_000;

/** Seconds an SSH client has to log in (OpenSSH's LoginGraceTime is 120): git logs in in under a second; this leaves time to type a key's passphrase. */
export const BUILDER_LOGIN_GRACE_SECONDS = 60;
/** SSH connections not yet logged in, at once (OpenSSH's MaxStartups): far more than parallel pushes on a desktop, far fewer than the core's file descriptors. */
export const BUILDER_MAX_UNAUTHENTICATED = 64;
/** SSH connections at once, logged in or not: each running push holds one, and one git process. */
export const BUILDER_MAX_CONNECTIONS = 256;
/** Seconds a logged-in SSH connection may stay without a git command running: git opens its session at once. */
export const BUILDER_IDLE_SECONDS = 60;
/** Public keys one SSH connection may offer (OpenSSH's MaxAuthTries is 6): a few keys in an agent pass, a scan does not. */
export const BUILDER_MAX_AUTH_ATTEMPTS = 10;
/** Seconds between keepalives on a logged-in connection; after 4 unanswered ones a vanished client's push is ended and its lock freed. */
export const BUILDER_KEEPALIVE_SECONDS = 15;

/** Characters of one build or task log line; longer lines are cut (a minified file or a progress bar without newlines). */
export const BUILD_LOG_MAX_LINE = 4096;
/** Lines a task (and a build's stored log) keeps: the last ones, after a line saying how many were dropped. */
export const BUILD_LOG_MAX_LINES = 10_000;
/** Bytes a task (and a build's stored log) keeps, whatever the line count: bounds the core's memory and the store. */
export const BUILD_LOG_MAX_BYTES = 2 * 1024 * 1024;
/** Bytes of build output waiting for a slow pusher's connection; beyond it lines are skipped (and counted), never buffered. */
export const BUILD_OUTPUT_MAX_BUFFERED = 1024 * 1024;

/** Characters of BUILDPACK_URL: real git URLs are a few hundred at most. */
export const BUILDPACK_URL_MAX = 2048;

// Dockerfile builds
/**
 * A Dockerfile is read and checked whole before the build: real ones are a few KiB, and checking
 * 256 KiB takes the core well under a second (a 1 MiB one took 1.6 s).
 */
export const DOCKERFILE_MAX_BYTES = 256 * 1024;
/** The Docker engine's own line limit (Go's bufio.MaxScanTokenSize - 1); longer lines fail there too. */
export const DOCKERFILE_MAX_LINE_BYTES = 65_535;
/**
 * Steps of one BuildKit build whose progress is followed: a Dockerfile has at most a few hundred
 * instructions (each a step, plus the images and context it loads); a trace naming more is not ours.
 */
export const BUILD_TRACE_MAX_STEPS = 4096;
/** A step's name as shown (the instruction as written, which may be a 64 KiB line) and its error. */
export const BUILD_TRACE_MAX_NAME_CHARS = 2000;
/** A `.dockerignore` read from the pushed commit (real ones are a few hundred bytes). */
export const DOCKERIGNORE_MAX_BYTES = 64 * 1024;
/** Its patterns: each is tried against every file of the context and its parent folders. */
export const DOCKERIGNORE_MAX_PATTERNS = 1000;
/** Symlinks followed to find the Dockerfile in the pushed tree (Linux follows at most 40). */
export const DOCKERFILE_MAX_SYMLINK_HOPS = 40;
/** Characters all variable substitutions of one build may produce: `ENV A=$A$A` doubles at each line. */
export const DOCKERFILE_MAX_EXPANDED_CHARS = 16 * 1024 * 1024;
/** Distinct images (FROM, COPY --from, ONBUILD) one build may look up or pull: each is a call to the engine. */
export const DOCKERFILE_MAX_IMAGES = 32;
/** `ADD <url>` sources one build may fetch: each is a download the core makes on the build's behalf. */
export const DOCKERFILE_MAX_REMOTE_FILES = 32;
/** Bytes all `ADD <url>` downloads of one build may total: they sit on disk until the build ends. */
export const DOCKERFILE_REMOTE_MAX_BYTES = 1024 * 1024 * 1024;
/** Redirects followed per `ADD <url>`, as Go's HTTP client (which the engine used) follows. */
export const DOCKERFILE_REMOTE_MAX_REDIRECTS = 10;
/** Time to connect (and finish TLS) for one `ADD <url>` hop. */
export const DOCKERFILE_REMOTE_CONNECT_TIMEOUT_MS = 30_000;
/** A download that sends nothing for this long is given up. */
export const DOCKERFILE_REMOTE_IDLE_TIMEOUT_MS = 60_000;
/** One `ADD <url>` download, redirects included, may take at most this long. */
export const DOCKERFILE_REMOTE_TOTAL_TIMEOUT_MS = 10 * 60_000;
/** A tar extended header (long path names) is buffered to be read; git writes a few hundred bytes. */
export const DOCKERFILE_TAR_HEADER_MAX_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Run stage: processes, one-off output, logs.
// ---------------------------------------------------------------------------------------------

/** Processes of one type: more than 50 of one type on one machine is almost certainly a typo (`web=500`). */
export const MAX_PROCESSES_PER_TYPE = 50;
/**
 * Processes of one app, all types together: a deploy runs the old and the new ones side by side, and
 * 2 × 100 fits the 221 fixed addresses of the app's own /24 network (see cluster/docker/network.ts).
 */
export const MAX_PROCESSES_PER_APP = 100;
/** Process types named in one scale request: more than any Procfile has; refused before any is read. */
export const MAX_SCALE_TYPES = 50;
/** One-off commands of one app at once: each is a container, and they share the app's 30 dynamic addresses. */
export const MAX_RUNS_PER_APP = 10;
/** One-off commands of all apps at once: each is a container on this machine. */
export const MAX_RUNS = 30;
/**
 * Characters of one `deis run` command: room for a long `python -c '…'`, and under Linux's 128 KiB
 * limit on one argument (MAX_ARG_STRLEN), which `sh -c <command>` is, so it fails here with a sentence
 * rather than in the engine with E2BIG.
 */
export const RUN_COMMAND_MAX_CHARS = 64 * 1024;
/**
 * Characters of output kept for the JSON answer of `POST /v2/apps/<app>/run` (the last ones; a marker
 * says how many came before). The streaming run sends every byte as it comes instead.
 */
export const MAX_RUN_OUTPUT_CHARS = 1024 * 1024;
/** A log or build line: a longer one is cut here with a marker (Docker's own log entries are 16 KiB). */
export const MAX_LINE_CHARS = 16 * 1024;
/** Marks a line cut at MAX_LINE_CHARS. */
export const LINE_CUT_MARKER = ` [line cut: longer than ${MAX_LINE_CHARS} characters]`;
/** `?log_lines=` of a logs request: more than the log store of an app keeps. */
export const MAX_LOG_LINES = 10_000;
/** Bytes of one app's log file before it rotates into `.1`: at most twice this on disk per app. */
export const MAX_LOG_FILE_BYTES = 2 * 1024 * 1024;
/**
 * Characters waiting for one slow event-stream client: past this, log lines are skipped (with a
 * marker saying how many), a task-event client is dropped (it reconnects and asks for the state),
 * and a run's output waits (the command itself is held until the client reads).
 */
export const MAX_STREAM_BACKLOG_CHARS = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Controller inputs: config, domains, whitelist, keys, certificates.
// ---------------------------------------------------------------------------------------------

// Apps, users' shares of them, and collaborators. The router keeps every app's host names and
// whitelist in one 8 MB shared-memory table; the numbers below keep its worst case (100 apps × (50
// names of 253 characters + 500 networks)) near 4 MB, so no app's entries can push out another's.

/** Every app is containers, a git repository, images and a build cache on this one machine; a desktop or a small team's core runs tens. */
export const MAX_APPS = 100;
/** Apps a user who is not an administrator may own: a teammate's share, so one account cannot fill the core (the desktop's own admin is held only by MAX_APPS). */
export const MAX_APPS_PER_USER = 25;
/** Collaborators of one app: a small team shares an app with a handful of people. */
export const MAX_COLLABORATORS_PER_APP = 50;

// Domains and certificates.

/** Host names of one app, its default name included: production, www, a wildcard or two, and room for previews. */
export const MAX_DOMAINS_PER_APP = 50;
/** A domain as typed: a host name is at most 253 characters, plus a trailing dot (its Unicode form is never longer than its A-label). */
export const MAX_DOMAIN_INPUT_LENGTH = 254;
/** Certificates one user may upload: one per name they serve over HTTPS, with room to rotate. */
export const MAX_CERTS_PER_USER = 100;
/** A certificate's PEM text: a leaf and its chain are a few kilobytes each; 64 KiB is a chain of twenty. */
export const MAX_CERT_PEM_BYTES = 64 * 1024;
/** A private key's PEM text: an 8192-bit RSA key is about 6.5 KB. */
export const MAX_KEY_PEM_BYTES = 16 * 1024;

// Router settings of an app.

/** Whitelist entries of one app: the router checks each request against every entry, one by one; offices, VPNs and a CDN's ranges are tens of networks. */
export const MAX_WHITELIST_ENTRIES = 500;
/** App labels: a few notes about an app (team, tier, repository). */
export const MAX_APP_LABELS = 50;
/** A label's name: the length of a Kubernetes label name, should labels ever be applied as such. */
export const MAX_LABEL_KEY_LENGTH = 63;
/** A label's value: free text such as a repository URL. */
export const MAX_LABEL_VALUE_LENGTH = 256;
/** Entries keyed by process type (memory, cpu, healthcheck, autoscale): a Procfile has a handful of types. */
export const MAX_PROCESS_TYPE_ENTRIES = 64;

// Config: every change stores a full copy of it in a new, immutable release, so the total is also
// what each release can cost the store.

/** An app's whole config (values, limits, tags, registry, health checks) as stored: it must fit one Kubernetes Secret, whose limit is 1 MiB. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Config values (environment variables) of one app: apps use tens. */
export const MAX_CONFIG_VALUES = 1000;
/** One config value: 64 KiB fits a PEM bundle or a JSON credential, and stays well under the 128 KiB Linux allows for one environment variable. */
export const MAX_CONFIG_VALUE_BYTES = 64 * 1024;
/** A config key (values, registry): a Kubernetes Secret's keys are at most 253 characters. */
export const MAX_CONFIG_KEY_LENGTH = 253;
/** A memory or CPU limit, such as `512M/1G` or `250m`. */
export const MAX_RESOURCE_LIMIT_LENGTH = 32;
/** Tags (Kubernetes node selectors): a handful of node labels. */
export const MAX_TAGS = 32;
/** Registry settings: a user name, a password and perhaps a host name. */
export const MAX_REGISTRY_ENTRIES = 16;
/** A registry setting's value: a registry password can be a whole JSON key (about 2.5 KB). */
export const MAX_REGISTRY_VALUE_BYTES = 8 * 1024;
/** One health check probe as JSON: a command or a few headers. */
export const MAX_PROBE_BYTES = 16 * 1024;
/** Nesting of a probe: its deepest field, `httpGet.httpHeaders[].value`, is 4 levels below it. */
export const MAX_PROBE_DEPTH = 8;

// Housekeeping: images kept per app, and removing an instance.

/** Releases of an app whose images are kept by default: a rollback a few steps back stays instant, while a Python app's ~730 MB images do not pile up push after push. */
export const DEFAULT_KEEP_RELEASE_IMAGES = 5;
/** The most DEIS_KEEP_RELEASE_IMAGES may ask for: beyond this the images would hold tens of GB per app for rollbacks nobody makes. */
export const MAX_KEEP_RELEASE_IMAGES = 100;
/** The instance name typed to confirm removing everything: DEIS_INSTANCE names Docker networks, which are at most 128 characters in practice. */
export const MAX_INSTANCE_CONFIRM_LENGTH = 128;
// ---------------------------------------------------------------------------------------------
// First run: images the core pulls and builds for itself (router base, stack)
// ---------------------------------------------------------------------------------------------

/** A pull's progress line at most every 2 s: enough to see it move, few enough for a task log. */
export const PULL_PROGRESS_EVERY_MS = 2_000;
/** Layers a pull's progress counts: images have tens; a hostile registry's thousands are not counted. */
export const PULL_MAX_TRACKED_LAYERS = 1_000;
/** A failed pull is not tried again for a minute: the target retries every 5 s and must not hammer a registry. */
export const PULL_FAILURE_MEMORY_MS = 60_000;
/** ...doubling with each failure in a row up to 15 min, so a machine offline for a day makes ~100 failed tasks, not 1,440. */
export const PULL_FAILURE_MEMORY_MAX_MS = 15 * 60_000;
/** The stack build tells the pusher how far it is every 10 s: a few lines for a build of minutes. */
export const STACK_PROGRESS_EVERY_MS = 10_000;
/** A progress line that would repeat the last one is held back this long (a long download says so twice a minute, not six times). */
export const STACK_PROGRESS_QUIET_MS = 30_000;
/** A Dockerfile step shown to the pusher is cut here: the whole `apt-get install` line is in the task log. */
export const STACK_STEP_LINE_MAX = 120;
/** How long engine work waits for a start in progress before it is refused with 503 and a reason. */
export const TARGET_READY_WAIT_MS = 5_000;
// ---------------------------------------------------------------------------------------------
// Controller through the router: the API at deis.<platform domain>:<router port>, which nginx
// passes to the core over a unix socket only it can reach. Bodies keep the API's own limits
// (API_BODY_LIMIT is nginx's outer bound too; the core still applies the smaller ones).
// ---------------------------------------------------------------------------------------------

/** Connections the router may hold open to the core at once: a few CLIs, a UI and its streams use tens; half of API_MAX_CONNECTIONS, so the loopback port always has room. */
export const ROUTER_CORE_CONNECTIONS = 256;
/** Idle keep-alive connections the router keeps to the core: enough for a UI's bursts of requests without a new connection each. */
export const ROUTER_CORE_IDLE_CONNECTIONS = 16;
/** Seconds the router waits for the core's next byte of an answer: a followed log or a streamed `deis run` may be silent for hours; a day still ends a forgotten connection. */
export const ROUTER_CORE_IDLE_SECONDS = 24 * 60 * 60;
// CLI (issue 9): what our `deis` accepts from a controller's event streams (`logs -f`, `run`).

/** One server-sent event: a run's `output` event holds at most 64 KiB of text, which JSON's escapes can make six times longer. */
export const MAX_CLI_STREAM_EVENT_CHARS = 1024 * 1024;
/** The body of a streaming request's error answer: a JSON `detail` sentence; the rest is not read. */
export const MAX_CLI_ERROR_BODY_BYTES = 64 * 1024;
// Run loop (issue 9): the route switch and the old processes' retirement.

/** One answer of the router's status port on the kept-open connection: they are `ok`, a count or a generation; more means something else answers, and the connection is dropped. */
export const MAX_ROUTER_STATUS_REPLY_BYTES = 64 * 1024;
/** After the kept-open status connection fails, route switches use an exec of their own this long before trying it again, so a router without bash's /dev/tcp costs one failed try, not one per switch. */
export const ROUTER_TUNNEL_RETRY_MS = 30_000;
// ---------------------------------------------------------------------------------------------
// Kubernetes logs and runs (issue 11): what the core reads from the API server for `logs` and `run`.
// ---------------------------------------------------------------------------------------------

/** The body of a refused API request read for its reason: a Status object is a few hundred bytes. */
export const K8S_API_ERROR_BODY_MAX_CHARS = 64 * 1024;
/** One watch event: a pod is at most etcd's 1.5 MiB request limit; its JSON in an event is a little more. */
export const K8S_WATCH_EVENT_MAX_CHARS = 4 * 1024 * 1024;
/** Container log streams followed per app: old and new processes side by side during a deploy, each one stream. */
export const K8S_LOG_STREAMS_PER_APP = 2 * MAX_PROCESSES_PER_APP;
/**
 * A `deis run` pod that is not running after this long fails with the reason the cluster gives
 * (unschedulable, a pull that does not end): a large image's first pull takes a minute or two.
 */
export const K8S_RUN_START_TIMEOUT_MS = 5 * 60_000;
/** One plain request to the API server (an autoscaler's read or write): it answers in milliseconds, a minute means it is gone. */
export const K8S_REQUEST_MS = 60_000;
/** One node's kubelet summary (CPU and memory of its pods): ~2 KiB a pod, so a node full of 110 pods is well under this. */
export const K8S_STATS_SUMMARY_MAX_BYTES = 8 * 1024 * 1024;
/** Nodes whose summary is read in one metrics sample: the nodes the instance's pods run on, read a few at a time. */
export const K8S_STATS_NODES_MAX = 100;
/** One summary read: the kubelet answers from its cache in milliseconds; a sample is every few seconds. */
export const K8S_STATS_SUMMARY_MS = 5_000;
// Kubernetes target (issue 11): rollouts, logs and bookkeeping of the target.

/** Log lines of a failed pod shown with the failure: as many as the Docker target shows. */
export const K8S_LOG_TAIL_LINES = 20;
/** Pause between two looks at a rollout's pods: fast enough to report and fail early, at most a few API calls a second per deploying app. */
export const K8S_POLL_MS = 500;
/** Time a new pod may spend being scheduled and pulling its image, on top of DEIS_DEPLOY_TIMEOUT (Deis allowed for slow pulls the same way). */
export const K8S_SCHEDULE_PULL_ALLOWANCE_MS = 120_000;
/** Progress lines a deploy shows the `git push` that waits on it (steps, pods scheduled, pulling, ready n/m, each process up): a scale to hundreds of processes must not flood a terminal (its task keeps the same lines). */
export const MAX_DEPLOY_PROGRESS_LINES = 100;
/** A pod's image pull must fail this long before the rollout gives up: the kubelet's first try can come before it sees a new imagePullSecret; its retry, 10 s later, then succeeds. */
export const K8S_PULL_FAILURE_MS = 25_000;
/** How long a destroy waits for the app's namespace to be gone before it returns with the namespace terminating. */
export const K8S_NAMESPACE_GONE_MS = 120_000;
/** After a failed rollout, how long the target waits for the previous release's pods to be all available again before it reports the failure (they normally never stopped). */
export const K8S_PUT_BACK_WAIT_MS = 30_000;
/** Local image ids whose pushed digest is remembered, so a config change does not push again. */
export const K8S_PUSHED_IMAGES = 256;
// Builder reads of a pushed commit (issue 9): the files a build reads before it starts.

/** Bytes of `git ls-tree -l` of a commit's top folder (about 40,000 names): a real app has tens; the listing is held while the push builds. */
export const COMMIT_LISTING_MAX_BYTES = 4 * 1024 * 1024;
/** A Procfile (or another top-level file the builder reads whole): real ones are a few lines; it is held in memory and parsed. */
export const COMMIT_FILE_MAX_BYTES = 1024 * 1024;
/** Commits whose listing and files the builder keeps once read: a push reads each a few times; four apps pushing at once still hit. */
export const COMMIT_READERS_KEPT = 4;
// Kubernetes router (issue 11): the router's pod on a cluster and the core's port-forward to its
// status port.
// ---------------------------------------------------------------------------------------------

/** One request on the router pod's status port (a table replaced or a count read), connect included: a switch takes milliseconds; a pod that does not answer in 5 s is not serving either. */
export const KUBE_ROUTER_STATUS_REQUEST_MS = 5_000;
/** The kept-open port-forward is closed after this long unused: well below nginx's keepalive_timeout (65 s), so the core never writes into a connection nginx has just closed. */
export const KUBE_ROUTER_STATUS_IDLE_MS = 30_000;
/** A table read back from a router pod: the status port takes bodies up to 16 MiB (client_max_body_size), so no table it holds is larger. */
export const KUBE_ROUTER_TABLE_BYTES = 16 * 1024 * 1024;
/** How long the core waits for the router pod to run (scheduled, image pulled from the registry, nginx started): a first pull of the ~100 MB image on a busy node takes a minute or two. */
export const KUBE_ROUTER_START_MS = 300_000;
/** Once the router pod is ready, how long the core tries its address from this machine before saying it does not answer (kube-proxy opens a NodePort within a second or two). */
export const KUBE_ROUTER_ANSWER_MS = 15_000;
/** How long the core waits for a deleted router namespace to be gone before making it again: namespaces take 10-60 s to delete on 1.20. */
export const KUBE_ROUTER_NAMESPACE_WAIT_MS = 180_000;
/** A router pod that is leaving keeps accepting this long (preStop) so every node's kube-proxy has stopped sending it new connections before nginx quits: 5 s left one new connection in thousands hanging on a busy 2-core test machine. */
export const KUBE_ROUTER_ENDPOINT_DELAY_SECONDS = 10;
/** ...then nginx finishes the requests it was serving for at most this long (the rest of the termination grace). */
export const KUBE_ROUTER_DRAIN_SECONDS = 60;
/** After the watch of router pods ends (the API server closes watches every few minutes, or fails), it is made again after this pause. */
export const KUBE_ROUTER_WATCH_RETRY_MS = 1_000;
/** Router pods the core keeps tables in: one, two during a rolling update; more is not ours, and is not fed. */
export const KUBE_ROUTER_MAX_PODS = 8;
// ---------------------------------------------------------------------------------------------
// Targets (issue 12): finding the local Docker engine, kind clusters, imported kubeconfigs.
// ---------------------------------------------------------------------------------------------

/** The Docker config file (`~/.docker/config.json`) read for its currentContext: real ones hold a few registry logins and are a few KB; it is read whole. */
export const DOCKER_CONFIG_MAX_BYTES = 1024 * 1024;
/** A Docker context's meta.json: a name, a description and one endpoint, a few hundred bytes. */
export const DOCKER_CONTEXT_META_MAX_BYTES = 64 * 1024;
/** Each TLS file (ca.pem, cert.pem, key.pem) of a Docker context: a certificate chain is a few KB. */
export const DOCKER_CONTEXT_TLS_MAX_BYTES = 64 * 1024;
/** kind names its control-plane container `<name>-control-plane`, a host name of at most 64 bytes: kind warns above 50 (clusterNameMax). */
export const KIND_CLUSTER_NAME_MAX = 50;
/** One line of kind's output: status lines are short; an error's "Command Output:" can be long and is cut, not held whole. */
export const KIND_OUTPUT_LINE_BYTES = 16 * 1024;
/** kind's last output lines kept to explain a failure: kubeadm's error output is tens of lines. */
export const KIND_OUTPUT_TAIL_LINES = 200;
/** `kind create cluster`: the first pull of the ~1 GB node image on a slow connection takes minutes; kind waits up to --wait for Ready on top. */
export const KIND_CREATE_TIMEOUT_MS = 20 * 60_000;
/** `kind load docker-image`: an app image of a few hundred MB is saved and imported into each node. */
export const KIND_LOAD_TIMEOUT_MS = 10 * 60_000;
/** Other kind commands (delete, get clusters, get kubeconfig): seconds normally; a stuck Docker engine must not hang the task. */
export const KIND_COMMAND_TIMEOUT_MS = 2 * 60_000;
/** How long `kind create cluster --wait` waits for the control plane to be Ready (kind's flag): a cold start on a laptop takes ~1 min. */
export const KIND_WAIT_FOR_READY_SECONDS = 300;
/** A kubeconfig file the user picks (or kind prints): big company ones with inlined certificates for hundreds of clusters are ~1 MB; it is read and parsed whole. */
export const KUBECONFIG_MAX_BYTES = 2 * 1024 * 1024;
/** Contexts listed from one kubeconfig for the user to pick from: more than anyone scrolls through. */
export const KUBECONFIG_MAX_CONTEXTS = 1000;
/** A certificate or key file a kubeconfig names (inlined into the copy): a CA bundle is at most a few hundred KB. */
export const KUBECONFIG_REFERENCED_FILE_MAX_BYTES = 1024 * 1024;
/** A target's name: it is a folder under DEIS_HOME/targets and shown in lists, like an app name (a DNS label). */
export const TARGET_NAME_MAX = 63;
// Metrics and activity (issue 14): what the core samples, keeps in memory and keeps on disk.
// ---------------------------------------------------------------------------------------------

/** How often the router's request counters are read: a load shows up in an app's figures within two of these (the issue asks for 5 s); one small request on the kept-open status tunnel each time. */
export const METRICS_TRAFFIC_INTERVAL_MS = 2_000;
/** How often the engine is asked for each process's CPU and memory: one one-shot stats call per container; with 20 containers every 5 s this costs well under 1% of a core (bench/metrics.ts). */
export const METRICS_PROCESS_INTERVAL_MS = 5_000;
/** Traffic samples kept in memory per app (only intervals that had requests): 10 minutes of a busy app at one sample per 2 s; older figures are in the one-minute roll-ups. */
export const METRICS_RING_TRAFFIC_SAMPLES = 300;
/** Per-type CPU and memory samples kept in memory per app: 10 minutes at one sample per 5 s. */
export const METRICS_RING_PROCESS_SAMPLES = 120;
/** One-minute roll-ups are kept this long on disk (the 24 h); older rows are pruned at each roll-up. */
export const METRICS_RETENTION_MS = 24 * 60 * 60_000;
/** Minutes of roll-ups one metrics request may ask for (`?minutes=`): the whole retention, 1,440 rows of a few numbers. */
export const METRICS_MAX_MINUTES = 1_440;
/** Engine stats calls in flight at once: 20 apps' processes are sampled in a few rounds without queueing dozens of requests on dockerd. */
export const METRICS_STATS_CONCURRENCY = 8;
/** One stats call to the engine: it answers in milliseconds; a call that takes longer is dropped for this round. */
export const METRICS_STATS_TIMEOUT_MS = 4_000;
/** Activity entries kept on disk: a busy team's months of changes, a few hundred bytes each; the oldest go first. */
export const ACTIVITY_MAX_ENTRIES = 20_000;
/** Entries one activity request may ask for (`?limit=`): a page of history, not the whole table. */
export const ACTIVITY_MAX_PAGE = 500;
/** Characters of one entry's summary or failure reason: a sentence and the first lines of a failure, never a whole log. */
export const ACTIVITY_MAX_TEXT = 2_000;
// Backing services (issue 13): databases and caches provisioned for apps and attached to them.
// ---------------------------------------------------------------------------------------------

/** Services one user may own: each is a database server holding 50-200 MB of memory on a laptop. */
export const SERVICES_PER_USER = 10;
/** Services on one core, all users together: the Docker services network hands out 31 addresses (a /27). */
export const SERVICES_PER_CORE = 30;
/** A service's name: it becomes `<instance>-svc-<name>`, a container and host name (63 characters at most). */
export const SERVICE_NAME_MAX = 30;
/** Apps one service may be attached to: each attachment is a network connection and a release. */
export const SERVICE_ATTACHMENTS_MAX = 20;
/** An environment variable name given with `--as`: real ones are a few words. */
export const SERVICE_VAR_MAX = 64;
/** How long a new service may take to answer its readiness check: PostgreSQL's first initdb on a busy 2-core machine takes ~20 s. */
export const SERVICE_READY_MS = 180_000;
/** Output kept from one readiness check or command inside a service container: a line or two is all they print. */
export const SERVICE_EXEC_OUTPUT_MAX = 64 * 1024;
/** A service container's last log lines shown when it fails to start. */
export const SERVICE_FAILURE_LOG_LINES = 20;
/** A backup downloaded or restored: streamed, never held in memory, but staged once in the service container's /tmp; a desktop database dump is megabytes. */
export const SERVICE_BACKUP_MAX_BYTES = 1024 * 1024 * 1024;

// Services UI (issue 13): what the renderer accepts when a service is dropped on an app.
// ---------------------------------------------------------------------------------------------

/** Characters of a drop's payload (`{"kind": …}` or `{"service": …}`): any page can start a drag, and ours carry a name. */
export const SERVICE_DROP_MAX_CHARS = 200;

// SSH (issue 12): Docker engines on other hosts and bastions of Kubernetes targets, through ssh2.
// ---------------------------------------------------------------------------------------------

/** A known_hosts file we read (the user's, the system's, ours): a few hundred bytes per host; a file past this is not one. */
export const SSH_KNOWN_HOSTS_MAX_BYTES = 1024 * 1024;
/** An identity (private key) file: an RSA-16384 key in PEM is under 13 KB. */
export const SSH_IDENTITY_MAX_BYTES = 64 * 1024;
/** An ssh:// address given by a user (DOCKER_HOST, a target, a bastion): a user, a host name and a port. */
export const SSH_URL_MAX_CHARS = 512;
/** Connecting, the key exchange and authentication together: OpenSSH's own ConnectTimeout advice is seconds, ssh2's default 20 s. */
export const SSH_CONNECT_TIMEOUT_MS = 20_000;
/** A keepalive every 15 s, and a connection given up after 3 unanswered: a dead host is noticed within a minute. */
export const SSH_KEEPALIVE_MS = 15_000;
export const SSH_KEEPALIVE_COUNT = 3;
/** Session channels (one `docker system dial-stdio` each) per SSH connection: sshd's default MaxSessions. */
export const SSH_SESSIONS_PER_CONNECTION = 10;
/** SSH connections to one Docker host at once: 160 concurrent engine streams (a log follower per process, requests), then a clear error. */
export const SSH_CONNECTIONS_PER_HOST = 16;
/** Idle engine connections kept open for reuse: each keeps a dial-stdio process on the remote host. */
export const SSH_DOCKER_IDLE_STREAMS = 8;
/** Connections through one forwarded port (a bastion's API server, a remote router) at once: a browser opens 6 per host, the Kubernetes client a few dozen watches. */
export const SSH_FORWARD_MAX_CONNECTIONS = 256;
/** What a remote `docker system dial-stdio` may print on stderr before failing (kept to explain the failure): a line or two. */
export const SSH_DIAL_STDERR_MAX_BYTES = 4 * 1024;

// ---------------------------------------------------------------------------------------------
// targets (issue 12): targets in the store, per-app targets, checks.
// ---------------------------------------------------------------------------------------------

/** Targets one core keeps besides `local`: each connected one holds a cluster connection, a pod informer and a router; a person juggles a handful. */
export const TARGETS_MAX = 20;
/** The kubeconfig path given to add a target: PATH_MAX on Linux. */
export const TARGET_KUBECONFIG_PATH_MAX = 4096;
/** A context's name: kubeconfig names are free text, real ones (EKS ARNs) reach ~100 characters. */
export const TARGET_CONTEXT_MAX = 253;
/** A registry address `host[:port][/prefix]`: a DNS name (253) plus a port and a short path. */
export const TARGET_REGISTRY_MAX = 300;
/** A registry username: cloud registries use fixed ones (AWS, _json_key, oauth2accesstoken); room for an email address. */
export const TARGET_REGISTRY_USERNAME_MAX = 256;
/** A registry password or token: ECR's and GCR's tokens are 2-3 KB; JSON keys for _json_key are a few KB. */
export const TARGET_REGISTRY_PASSWORD_MAX = 16 * 1024;
/** Each step of a target check (API server, permission, registry login, push): a healthy cluster answers in a second; a firewall that drops packets must not hang the request. */
export const TARGET_CHECK_STEP_MS = 20_000;

// ---------------------------------------------------------------------------------------------
// Process console (issue 14, the UI's console): a command run inside a live process of an app.
// ---------------------------------------------------------------------------------------------

/** A console command's characters: a shell line someone typed, never a script pasted whole. */
export const CONSOLE_COMMAND_MAX_CHARS = 4_096;
/** A console command runs at most this long, then it is killed: a look inside a process, not a job (long work is `deis run`). */
export const CONSOLE_TIMEOUT_MS = 5 * 60_000;
/** Output one console command may write: pages a person reads in a terminal; past it the command is stopped. */
export const CONSOLE_OUTPUT_MAX_CHARS = 2 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// targets-ssh (issue 12): Docker hosts over SSH as stored targets, trusting a host key, pull checks.
// ---------------------------------------------------------------------------------------------

/** A host key fingerprint to trust: `SHA256:` and the 43 base64 characters of a SHA-256 digest, as ssh prints it. */
export const TARGET_TRUST_FINGERPRINT_CHARS = 50;
/** The pull check's pod: a kubelet that can pull reports it in seconds; past this it says what it saw last. */
export const TARGET_PULL_CHECK_MS = 90_000;
/** A kubelet's pull message quoted in the pull check's sentence: the reason, never a page of it. */
export const TARGET_PULL_REASON_MAX_CHARS = 500;

// ---------------------------------------------------------------------------------------------
// Interactive shell (issue 14, the console's shell): a PTY in a live process over a WebSocket.
// ---------------------------------------------------------------------------------------------

/** One WebSocket message from the UI (keystrokes or a paste, as JSON): a large paste fits, a flood does not. */
export const SHELL_FRAME_MAX_BYTES = 64 * 1024;
/** A shell closes after this long without a keystroke: an open root-ish shell left in a forgotten tab is a door left open. */
export const SHELL_IDLE_TIMEOUT_MS = 15 * 60_000;
/** Shells one user has open (or is opening) at once: a few tabs side by side, not a pool of engine execs. */
export const SHELL_SESSIONS_PER_USER = 4;
/** Shells into one app at once, whoever opened them: each holds an exec and a PTY in the app's container. */
export const SHELL_SESSIONS_PER_APP = 4;
/** Shells the whole core serves at once: each holds a WebSocket, an engine connection and a process. */
export const SHELL_SESSIONS_MAX = 16;
/** What a shell may send to the UI each second: a terminal shows far less; `cat` of a huge file is slowed, not buffered. */
export const SHELL_OUTPUT_BYTES_PER_SECOND = 1024 * 1024;
/** A ticket to open a shell is good this long after the POST that made it, and once: the UI opens the socket at once. */
export const SHELL_TICKET_TTL_MS = 30_000;
/** Messages kept while a shell is still opening (typed ahead, a resize): a second of typing, not a paste flood (each is up to SHELL_FRAME_MAX_BYTES). */
export const SHELL_EARLY_MESSAGES_MAX = 16;
/** A terminal's columns and rows at most: a 4K screen at a small font, with room. */
export const SHELL_COLS_MAX = 500;
export const SHELL_ROWS_MAX = 200;

// ---------------------------------------------------------------------------------------------
// People (issue 14, the UI's users, collaborators and SSH keys).
// ---------------------------------------------------------------------------------------------

/** A pasted SSH public key line: a 16384-bit RSA key is about 2.8 KB; four times that leaves room for a long comment, never a file of anything else. */
export const MAX_PUBLIC_KEY_CHARS = 16 * 1024;
/** SSH keys of one user: a person's laptops, CI runners and deploy keys; the builder tries a key against them on every push. */
export const MAX_KEYS_PER_USER = 100;

// ---------------------------------------------------------------------------------------------
// services-ops (issue 13): operating backing services — logs, info, promote, restore.
// ---------------------------------------------------------------------------------------------

/** `deis services:logs` without `-n`: a screenful and a half, as `deis logs` shows. */
export const SERVICE_LOG_LINES_DEFAULT = 100;
/** `-n` at most: the engine keeps the whole log, but a look at a service is not an export. */
export const SERVICE_LOG_LINES_MAX = 1_000;
/** One log line shown: a database's query log can print megabyte lines; the start says what it was. */
export const SERVICE_LOG_LINE_MAX_CHARS = 2_000;
/** How long the size and connection counts of one service may take: `du` of a desktop database is well under a second. */
export const SERVICE_STATS_MS = 10_000;
/** Local port forwards (`deis services:connect`) one user may hold at once: a tool or two per database. */
export const SERVICE_FORWARDS_PER_USER = 5;
/** Connections through one forward at once: each is an exec in the service's container; a GUI tool opens a handful. */
export const SERVICE_FORWARD_CONNECTIONS_MAX = 16;
/** A forward closes unless its CLI renews it within this long (it renews every third of it): a killed CLI leaves no open port behind for long. */
export const SERVICE_FORWARD_LEASE_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// svc-k8s (issue 13): operating backing services on the Kubernetes target.
// ---------------------------------------------------------------------------------------------

/** Bytes of a service pod's log the API server sends for `services:logs`: SERVICE_LOG_LINES_MAX lines of a chatty database, not its whole history. */
export const K8S_SERVICE_LOG_BYTES_MAX = 1024 * 1024;
/** How long opening one port-forward to a service's pod may take: the API server answers a websocket in well under a second; a stuck one must not hold a client. */
export const K8S_SERVICE_DIAL_MS = 20_000;

// ---------------------------------------------------------------------------------------------
// kind-target (issue 12): kind clusters as targets, images loaded into their nodes.
// ---------------------------------------------------------------------------------------------

/** Steps one kind command's progress keeps: kind prints about a dozen; more are lines of something else, kept as the latest ones. */
export const KIND_PROGRESS_STEPS_MAX = 64;
/** Node containers a start or stop goes through: kind's largest documented configs have a handful; a label matching more is not a kind cluster. */
export const KIND_NODES_MAX = 32;
