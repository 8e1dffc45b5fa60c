namespace Checkpointing.Tool.Output;

/// <summary>One card as <c>list</c> shows it: the merged state of its run, summed up.</summary>
internal sealed record CardSummary(PipelineCheckpoint Checkpoint, CostReport Cost, long SizeBytes)
{
    public string CardId => Checkpoint.CardId;

    public int Completed => Checkpoint.StagesCompleted;

    /// <summary>Gets the stages the run declared, or, when it declared none, the stages it recorded.</summary>
    public int Total => Checkpoint.TotalStages > 0 ? Checkpoint.TotalStages : Checkpoint.StageCheckpoints.Count;

    public double Fraction => Total == 0 ? 0 : Math.Clamp((double)Completed / Total, 0, 1);

    public static CardSummary Of(PipelineCheckpoint checkpoint, long sizeBytes) => new(checkpoint, CostReport.For(checkpoint), sizeBytes);
}
