namespace Checkpointing;

/// <summary>
/// The names under which the library reports traces and metrics through <c>System.Diagnostics</c>. Subscribe with
/// OpenTelemetry: <c>tracing.AddSource(CheckpointingTelemetry.ActivitySourceName)</c> and
/// <c>metrics.AddMeter(CheckpointingTelemetry.MeterName)</c>.
/// </summary>
/// <remarks>
/// Spans: <c>checkpointing.stage</c> per <see cref="CheckpointManager.RunStageAsync{T}"/> and
/// <c>checkpointing.llm_call</c> per memoized LLM call. Instruments: <c>checkpointing.stage.duration</c>,
/// <c>checkpointing.store.write.duration</c>, <c>checkpointing.resume.duration</c> (histograms, seconds),
/// <c>checkpointing.llm.requests</c>, <c>checkpointing.llm.tokens_saved</c> and <c>checkpointing.llm.cost_saved</c>
/// (counters). The attribute names are the <c>Tag*</c> constants of this class.
/// </remarks>
public static class CheckpointingTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> the library's spans come from.</summary>
    public const string ActivitySourceName = "Checkpointing";

    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> the library's instruments belong to.</summary>
    public const string MeterName = "Checkpointing";

    /// <summary>The card a span or measurement is about.</summary>
    public const string TagCardId = "checkpointing.card_id";

    /// <summary>The stage a span or measurement is about.</summary>
    public const string TagStage = "checkpointing.stage";

    /// <summary>What <see cref="CheckpointManager.RunStageAsync{T}"/> did: <c>ran</c>, <c>reused</c> (stored result returned), <c>skipped</c>, <c>failed</c> or <c>cancelled</c>.</summary>
    public const string TagStageOutcome = "checkpointing.stage.outcome";

    /// <summary>The stage's retry count once recorded.</summary>
    public const string TagRetryCount = "checkpointing.stage.retry_count";

    /// <summary>Whether a memoized LLM call was answered from the cache: <c>hit</c> or <c>miss</c>.</summary>
    public const string TagCacheOutcome = "checkpointing.cache.outcome";

    /// <summary>The kind of change a store wrote (<c>created</c>, <c>stage_recorded</c>, <c>llm_response_cached</c>, ...).</summary>
    public const string TagChangeType = "checkpointing.change.type";

    /// <summary>The currency of <c>checkpointing.llm.cost_saved</c>.</summary>
    public const string TagCurrency = "checkpointing.currency";

    /// <summary>The OpenTelemetry GenAI attribute for the model asked.</summary>
    public const string TagRequestModel = "gen_ai.request.model";

    /// <summary>The OpenTelemetry GenAI attribute for the model that answered.</summary>
    public const string TagResponseModel = "gen_ai.response.model";

    /// <summary>The OpenTelemetry GenAI attribute for the prompt tokens.</summary>
    public const string TagInputTokens = "gen_ai.usage.input_tokens";

    /// <summary>The OpenTelemetry GenAI attribute for the completion tokens.</summary>
    public const string TagOutputTokens = "gen_ai.usage.output_tokens";

    /// <summary>The OpenTelemetry GenAI attribute for why the model stopped.</summary>
    public const string TagFinishReasons = "gen_ai.response.finish_reasons";
}
