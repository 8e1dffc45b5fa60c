using System.Diagnostics;
using Checkpointing.Ownership;

namespace Checkpointing.Sqlite;

/// <summary>The handle <see cref="SqliteCheckpointRepository.AcquireOwnershipAsync"/> returns: disposing it releases the lease.</summary>
[DebuggerDisplay("{ToString(),nq}")]
internal sealed class SqliteOwnership(SqliteCardOwners owners, HeldLease lease) : CheckpointOwnership(lease.CardId, lease.OwnerId)
{
    protected override ValueTask ReleaseAsync() => new(owners.ReleaseHandleAsync(lease));
}
