using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Checkpointing.WorkerService;

/// <summary>
/// Stands in for a paid model so the sample runs offline: it answers after <see cref="PipelineSettings.ModelLatency"/>,
/// reports token usage, and logs every call it is paid for.
/// </summary>
public sealed partial class FakeChatClient(IOptions<PipelineSettings> settings, ILogger<FakeChatClient> logger) : IChatClient
{
    private int _paidCalls;

    /// <summary>Gets the calls paid for since the process started.</summary>
    public int PaidCalls => Volatile.Read(ref _paidCalls);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var prompt = messages.Last().Text;
        await Task.Delay(settings.Value.ModelLatency, cancellationToken);
        var paid = Interlocked.Increment(ref _paidCalls);
        LogPaid(logger, paid, prompt);
        var answer = $"Notes for: {prompt}";
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, answer))
        {
            ModelId = options?.ModelId ?? "fake-model",
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails
            {
                InputTokenCount = prompt.Length / 4,
                OutputTokenCount = answer.Length / 4,
                TotalTokenCount = (prompt.Length / 4) + (answer.Length / 4),
            },
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var update in (await GetResponseAsync(messages, options, cancellationToken)).ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType == typeof(FakeChatClient) ? this : null;

    public void Dispose()
    {
    }

    [LoggerMessage(1, LogLevel.Information, "Fake model: paid call #{Paid} for \"{Prompt}\"")]
    private static partial void LogPaid(ILogger logger, int paid, string prompt);
}
