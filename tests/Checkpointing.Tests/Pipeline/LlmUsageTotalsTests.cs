using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Pipeline;

public sealed class LlmUsageTotalsTests
{
    [Fact]
    public void ToString_NoCalls_SaysNoCost_AndCallsWithoutPrices_SayCostUnknown()
    {
        LlmUsageTotals.Empty.ToString().Should().Be("0 calls, 0 tokens (0 prompt + 0 completion), no cost");
        LlmUsageTotals.Empty.Add(new LlmResponse("p", "r") { Usage = new LlmUsage(PromptTokens: 3, CompletionTokens: 2) })
            .ToString().Should().Be("1 calls, 5 tokens (3 prompt + 2 completion), cost unknown");
    }
}
