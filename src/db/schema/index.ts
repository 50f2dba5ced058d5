export { dockerhub } from './common.js';
export { repositories, repositoryStats, tags, tagImages } from './repositories.js';
export { auditLogs, auditLogActions } from './audit.js';
export { orgMembers, teams, teamMembers, orgSettings, orgInvites } from './org.js';
export { accessTokens, orgAccessTokens } from './tokens.js';
export { scimUsers } from './scim.js';
export { pullUsageReports, pullUsage, pullUsageLoads } from './usage.js';
export { syncState, syncRuns, syncErrors, changes, syncLeases, namespaceKinds } from './sync.js';
export { customRecords } from './custom.js';
export { writebackIntents, writebackResults, writebackRecords } from './writeback.js';
export {
  staleTags, imagesPerArchitecture, repositoryVisibility, repositoryVisibilityChanges, tokenUsage, memberActivity,
  pendingInvites, repositoryPullGrowth, auditActivityDaily, deletions, pullsDaily,
} from '../views.js';
