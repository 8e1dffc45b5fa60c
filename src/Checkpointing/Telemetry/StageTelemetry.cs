using System.Diagnostics;

namespace Checkpointing.Telemetry;

/// <summary>The span and duration of one <see cref="CheckpointManager.RunStageAsync{T}"/>: disposed when the stage returns or throws.</summary>
internal sealed class StageTelemetry : IDisposable
{
    private readonly Activity? _activity;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly string _stageName;

    public StageTelemetry(string cardId, string stageName, TimeProvider time)
    {
        _time = time;
        _started = time.GetTimestamp();
        _stageName = stageName;
        _activity = Instruments.Source.StartActivity("checkpointing.stage " + stageName);
        _activity?.SetTag(CheckpointingTelemetry.TagCardId, cardId);
        _activity?.SetTag(CheckpointingTelemetry.TagStage, stageName);
    }

    /// <summary>Gets or sets what the stage did; <c>cancelled</c> until set, which is what an escaping cancellation leaves.</summary>
    public string Outcome { get; set; } = "cancelled";

    /// <summary>Records the stage's retry count, read from the checkpoint once it is recorded.</summary>
    /// <param name="checkpoint">The checkpoint after the stage was saved.</param>
    public void RecordRetries(PipelineCheckpoint? checkpoint)
    {
        if (checkpoint is not null && checkpoint.StageCheckpoints.TryGetValue(_stageName, out var stage))
        {
            _activity?.SetTag(CheckpointingTelemetry.TagRetryCount, stage.RetryCount);
        }
    }

    public void Dispose()
    {
        _activity?.SetTag(CheckpointingTelemetry.TagStageOutcome, Outcome);
        if (Outcome is "failed" or "cancelled")
        {
            _activity?.SetStatus(ActivityStatusCode.Error, Outcome);
        }

        _activity?.Dispose();
        Instruments.StageDuration.Record(
            _time.GetElapsedTime(_started).TotalSeconds,
            new KeyValuePair<string, object?>(CheckpointingTelemetry.TagStage, _stageName),
            new KeyValuePair<string, object?>(CheckpointingTelemetry.TagStageOutcome, Outcome));
    }
}
