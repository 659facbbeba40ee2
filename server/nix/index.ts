/** The Nix fallback build job server: what server/main.ts mounts beside the app. */
export { installableArgs, loadNixJobConfig, validateNixJobConfig, type InstallableSpec, type NixJobConfig } from './config.ts';
export { createNixJobHandler, startNixJobServer, type NixJobHandler, type NixJobServerOptions, type RunningNixJobServer } from './http.ts';
export { NixJobService, QueueFullError, UnknownInstallableError, type JobEvent } from './job-service.ts';
export { JobStore, type Job, type JobState, type LogChunk } from './job-store.ts';
