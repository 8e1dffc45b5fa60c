namespace Checkpointing.Json;

/// <summary>The snake_case field names of the on-disk format, shared with the Python manager.</summary>
internal static class CheckpointJsonNames
{
    /// <summary>The newest schema version this library writes and reads.</summary>
    public const int CurrentSchemaVersion = 1;

    public const string SchemaVersion = "schema_version";
    public const string Version = "version";
    public const string JournalId = "journal_id";
    public const string CheckpointId = "checkpoint_id";
    public const string CardId = "card_id";
    public const string Status = "status";
    public const string CreatedAt = "created_at";
    public const string UpdatedAt = "updated_at";
    public const string CompletedStages = "completed_stages";
    public const string FailedStages = "failed_stages";
    public const string SkippedStages = "skipped_stages";
    public const string CurrentStage = "current_stage";
    public const string StageCheckpoints = "stage_checkpoints";
    public const string ExecutionContext = "execution_context";
    public const string TotalStages = "total_stages";
    public const string StagesCompleted = "stages_completed";
    public const string TotalDurationSeconds = "total_duration_seconds";
    public const string EstimatedRemainingSeconds = "estimated_remaining_seconds";
    public const string ResumeCount = "resume_count";
    public const string LastResumeTime = "last_resume_time";
    public const string Metadata = "metadata";
    public const string PendingLlmResponses = "pending_llm_responses";

    public const string StageName = "stage_name";
    public const string StartTime = "start_time";
    public const string EndTime = "end_time";
    public const string DurationSeconds = "duration_seconds";
    public const string Result = "result";
    public const string Artifacts = "artifacts";
    public const string LlmResponses = "llm_responses";
    public const string ErrorMessage = "error_message";
    public const string RetryCount = "retry_count";

    public const string Prompt = "prompt";
    public const string Response = "response";
    public const string Model = "model";
    public const string Usage = "usage";
    public const string FinishReason = "finish_reason";
    public const string RequestKey = "request_key";
    public const string PromptTokens = "prompt_tokens";
    public const string CompletionTokens = "completion_tokens";
    public const string Cost = "cost";
    public const string Currency = "currency";
    public const string MetadataKey = "key";
    public const string MetadataValue = "value";

    public const string ChangeType = "type";
    public const string ChangeVersion = "v";
    public const string ChangeTimestamp = "t";
    public const string ChangeStage = "stage";
    public const string ChangeReason = "reason";
}
