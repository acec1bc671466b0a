export {
  GRAPHQL_PATH,
  SUBJECT_HEADER,
  startUpstream,
  type DemoUpstream,
  type StartUpstreamOptions,
} from './upstream/server.js'
export type { RecordedRequest } from './upstream/types.js'
export { DEFAULT_MAX_RECORDED } from './upstream/recorder.js'
export { DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY_BYTES } from './upstream/request.js'
export { HOUSTON_03X_SDL_PATH, HOUSTON_SDL_PATH, houston03xSchema, houstonSchema } from './upstream/schema.js'
export { HOUSTON_APIS, type HoustonApi } from './upstream/api.js'
export { findPackageRoot } from './upstream/package-root.js'
