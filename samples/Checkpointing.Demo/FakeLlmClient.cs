using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Checkpointing.Demo;

/// <summary>
/// Stands in for a paid LLM API: deterministic answers (the same prompt always gets the same answer), a short
/// delay so it feels like a network call, token usage and a price, and a count of the calls that would have been billed.
/// </summary>
internal sealed class FakeLlmClient
{
    private const decimal UsdPerThousandTokens = 0.01m;

    public string Model => "fake-gpt-4o";

    /// <summary>Gets the number of calls made (and paid for) through this client.</summary>
    public int PaidCalls { get; private set; }

    /// <summary>Answers a prompt, taking 120-300 ms.</summary>
    /// <returns>The response, with usage, and how long the call took.</returns>
    public async Task<(LlmResponse Response, TimeSpan Took)> CompleteAsync(string prompt, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(prompt));
        await Task.Delay(120 + (digest[0] % 180), cancellationToken);
        PaidCalls++;
        var reference = Convert.ToHexStringLower(digest.AsSpan(0, 4));
        var answer = $"[{Model} ref {reference}] Done: {prompt.Split(" (context:")[0].ToLowerInvariant()}.";
        long promptTokens = prompt.Length / 4, completionTokens = answer.Length / 4;
        var usage = new LlmUsage(promptTokens, completionTokens, (promptTokens + completionTokens) * UsdPerThousandTokens / 1000, "USD");
        return (new LlmResponse(prompt, answer) { Model = Model, Usage = usage, FinishReason = "stop" }, Stopwatch.GetElapsedTime(started));
    }
}
