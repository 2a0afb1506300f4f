/**
 * Claiming a shard: write manifest version v+1 with epoch e+1 using create-if-absent. A conflict means
 * a peer committed a version first; if its epoch is already at least the one we wanted, the peer won
 * and we stop (no epoch wars). Otherwise (e.g. the owner committed a checkpoint) we try again on top.
 */
import { AlreadyExistsError, ClaimFailedError } from "./errors.js";
import { ManifestStore, newShardManifest, nextManifest, type ManifestVersion } from "./manifest.js";

export const MAX_CLAIM_ATTEMPTS = 16;

/**
 * @returns the committed manifest version holding our new epoch.
 * @throws ClaimFailedError when a peer claimed an equal or higher epoch, or after `maxAttempts` conflicts.
 */
export interface ClaimedEpoch extends ManifestVersion {
  /** Entries the previous holder of the shard may have had in flight (1 for Lance's writers). */
  readonly previousPipelineDepth: number;
}

export async function claimEpoch(
  manifests: ManifestStore,
  shardId: string,
  maxAttempts = MAX_CLAIM_ATTEMPTS,
  pipelineDepth = 1,
): Promise<ClaimedEpoch> {
  let wanted: bigint | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const latest = await manifests.readLatest();
    if (wanted !== undefined && latest && latest.manifest.writerEpoch >= wanted) {
      throw new ClaimFailedError(
        `claiming shard ${shardId} at epoch ${wanted} failed: a peer holds epoch ${latest.manifest.writerEpoch} (manifest version ${latest.version})`,
      );
    }
    const base = latest?.manifest ?? newShardManifest(shardId);
    const version = (latest?.version ?? 0n) + 1n;
    wanted = base.writerEpoch + 1n;
    // The recorded depth never shrinks: a claimer that dies before fencing leaves the previous writer
    // running, and the next opener must still cover that writer's window.
    const recorded = Math.max(pipelineDepth, base.pipelineDepth);
    const claimed = nextManifest(base, { version, writerEpoch: wanted, pipelineDepth: recorded });
    try {
      await manifests.write(claimed);
      return { version, manifest: claimed, previousPipelineDepth: Math.max(1, base.pipelineDepth) };
    } catch (e) {
      if (!(e instanceof AlreadyExistsError)) throw e;
    }
  }
  throw new ClaimFailedError(`claiming shard ${shardId} failed: ${maxAttempts} manifest conflicts in a row`);
}
