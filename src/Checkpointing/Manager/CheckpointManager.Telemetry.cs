using Checkpointing.Telemetry;

namespace Checkpointing;

// Memoized LLM calls with their span and counters. (The class is documented in CheckpointManager.cs.)
public sealed partial class CheckpointManager
{
    internal async Task<(LlmResponse Response, bool FromCache)> GetOrAddLlmResponseObservedAsync(
        string stageName, LlmRequest request, Func<CancellationToken, Task<LlmResponse>> call, CancellationToken cancellationToken)
    {
        using var activity = request is null ? null : LlmCallTelemetry.Start(CardId, stageName, request);
        try
        {
            var result = await GetOrAddLlmResponseCoreAsync(stageName, request!, call, cancellationToken).ConfigureAwait(false);
            LlmCallTelemetry.Record(activity, result.Response, result.FromCache);
            return result;
        }
        catch (Exception ex)
        {
            LlmCallTelemetry.Fail(activity, ex);
            throw;
        }
    }
}
