namespace Checkpointing.Tool.Commands;

/// <summary>Which cards <c>list</c> shows.</summary>
internal sealed record CardFilter(IReadOnlySet<CheckpointStatus>? Statuses, DateTimeOffset? UpdatedBefore, DateTimeOffset? UpdatedAfter)
{
    public bool Matches(PipelineCheckpoint checkpoint) =>
        (Statuses is null || Statuses.Contains(checkpoint.Status))
        && (UpdatedBefore is null || checkpoint.UpdatedAt < UpdatedBefore)
        && (UpdatedAfter is null || checkpoint.UpdatedAt > UpdatedAfter);
}
