namespace Checkpointing;

/// <summary>A snapshot of how far a pipeline has got.</summary>
/// <param name="ProgressPercent">Completed stages over total stages, times 100, rounded to two decimals and capped at 100.</param>
/// <param name="StagesCompleted">The number of stages whose latest status is completed.</param>
/// <param name="TotalStages">The number of stages the pipeline declared when it was created.</param>
/// <param name="CurrentStage">The stage the pipeline last said it was working on, if any.</param>
/// <param name="Elapsed">The time spent in recorded stage attempts (every attempt counts).</param>
/// <param name="EstimatedRemaining">Mean duration of completed stages times the stages still to do.</param>
public sealed record PipelineProgress(
    double ProgressPercent,
    int StagesCompleted,
    int TotalStages,
    string? CurrentStage,
    TimeSpan Elapsed,
    TimeSpan EstimatedRemaining);
