using System.Diagnostics;

namespace Checkpointing.Telemetry;

/// <summary>The span and counters of one memoized LLM call.</summary>
internal static class LlmCallTelemetry
{
    public static Activity? Start(string cardId, string stageName, LlmRequest request)
    {
        var activity = Instruments.Source.StartActivity("checkpointing.llm_call " + stageName);
        if (activity is not null)
        {
            activity.SetTag(CheckpointingTelemetry.TagCardId, cardId);
            activity.SetTag(CheckpointingTelemetry.TagStage, stageName);
            activity.SetTag(CheckpointingTelemetry.TagRequestModel, request.Model);
        }

        return activity;
    }

    public static void Record(Activity? activity, LlmResponse response, bool fromCache)
    {
        var outcome = fromCache ? "hit" : "miss";
        LlmInstruments.LlmRequests.Add(1, new KeyValuePair<string, object?>(CheckpointingTelemetry.TagCacheOutcome, outcome));
        if (fromCache && response.Usage is { } saved)
        {
            LlmInstruments.TokensSaved.Add(saved.TotalTokens);
            if (saved.Cost is { } cost)
            {
                LlmInstruments.CostSaved.Add((double)cost, new KeyValuePair<string, object?>(CheckpointingTelemetry.TagCurrency, saved.Currency ?? "unknown"));
            }
        }

        if (activity is null)
        {
            return;
        }

        activity.SetTag(CheckpointingTelemetry.TagCacheOutcome, outcome);
        activity.SetTag(CheckpointingTelemetry.TagResponseModel, response.Model);
        if (response.FinishReason is { } finishReason)
        {
            activity.SetTag(CheckpointingTelemetry.TagFinishReasons, new[] { finishReason });
        }

        if (!fromCache && response.Usage is { } usage)   // a hit spent no tokens: what it saved goes to the saved-tokens counter
        {
            activity.SetTag(CheckpointingTelemetry.TagInputTokens, usage.PromptTokens);
            activity.SetTag(CheckpointingTelemetry.TagOutputTokens, usage.CompletionTokens);
        }
    }

    public static void Fail(Activity? activity, Exception exception) =>
        activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().FullName);
}
