namespace Checkpointing.Telemetry;

/// <summary>Records how long the store took to make one change durable, by change type.</summary>
internal static class StoreWriteTelemetry
{
    public const string Created = "created";

    public static void Record(TimeProvider time, long started, CheckpointChange? change) =>
        Instruments.StoreWriteDuration.Record(
            time.GetElapsedTime(started).TotalSeconds,
            new KeyValuePair<string, object?>(CheckpointingTelemetry.TagChangeType, NameOf(change)));

    private static string NameOf(CheckpointChange? change) => change switch
    {
        null => Created,
        StageRecorded => "stage_recorded",
        LlmResponseCached => "llm_response_cached",
        CurrentStageSet => "current_stage_set",
        StatusChanged => "status_changed",
        CheckpointResumed => "resumed",
        _ => "other",
    };
}
