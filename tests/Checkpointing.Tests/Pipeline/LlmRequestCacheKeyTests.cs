using System.Text.Json;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Pipeline;

public sealed class LlmRequestCacheKeyTests
{
    [Fact]
    public void CanonicalJson_SortsKeysAndOmitsNulls() =>
        new LlmRequest { Prompt = "Hi \"you\"\n", Model = "gpt-4o", Temperature = 0.7, MaxTokens = 256 }.GetCanonicalJson()
            .Should().Be("{\"max_tokens\":256,\"model\":\"gpt-4o\",\"prompt\":\"Hi \\\"you\\\"\\u000a\",\"temperature\":0.7,\"v\":1}");

    [Fact]
    public void CacheKey_OfACopyMadeWithWith_IsTheCopysOwn_EvenAfterTheOriginalsWasRead()
    {
        var original = LlmRequest.ForPrompt("Summarize the card", "gpt-4o") with { Temperature = 0.2 };
        var originalKey = original.CacheKey;   // read first: a cached field would now be copied by `with`

        var otherModel = original with { Model = "gpt-4o-mini" };
        var otherTemperature = original with { Temperature = 0.9 };

        var freshOtherModel = LlmRequest.ForPrompt("Summarize the card", "gpt-4o-mini") with { Temperature = 0.2 };
        otherModel.CacheKey.Should().NotBe(originalKey).And.Be(freshOtherModel.CacheKey);
        otherTemperature.CacheKey.Should().NotBe(originalKey);
        original.CacheKey.Should().Be(originalKey);
    }

    [Fact]
    public void Equality_IgnoresWhetherTheKeyWasComputed()
    {
        var a = LlmRequest.ForPrompt("p", "m") with { Seed = 7 };
        var b = LlmRequest.ForPrompt("p", "m") with { Seed = 7 };
        _ = a.CacheKey;

        a.Should().Be(b);
        a.GetHashCode().Should().Be(b.GetHashCode());
        (a == b).Should().BeTrue();
    }

    [Fact]
    public void CacheKey_KnownVector_IsStable()
    {
        // Pinned: changing the canonical form would silently invalidate every user's cache.
        var request = new LlmRequest { Prompt = "Summarise the card.", Model = "gpt-4o", Temperature = 0, Seed = 42 };

        request.GetCanonicalJson().Should().Be("{\"model\":\"gpt-4o\",\"prompt\":\"Summarise the card.\",\"seed\":42,\"temperature\":0,\"v\":1}");
        request.CacheKey.Should().Be(Sha256Hex(request.GetCanonicalJson()));
        request.CacheKey.Should().Be("31db21f8521456e5914734156ea4e631ce3b4647cbe3a2ae14f843d997ca1ca4");
    }

    [Fact]
    public void CacheKey_ChatVector_IsStable()
    {
        var request = LlmRequest.ForChat([new LlmMessage("system", "Be brief."), new LlmMessage("user", "Plan café ☕")], "claude")
            with { StopSequences = ["\n\n"], ToolChoice = JsonDocument.Parse("\"auto\"").RootElement };

        request.GetCanonicalJson().Should().Be(
            "{\"messages\":[{\"content\":\"Be brief.\",\"role\":\"system\"},{\"content\":\"Plan café ☕\",\"role\":\"user\"}],"
            + "\"model\":\"claude\",\"stop\":[\"\\u000a\\u000a\"],\"tool_choice\":\"auto\",\"v\":1}");
        request.CacheKey.Should().Be("8f2c16e1f1280c8c31625597279a92f84b4f8f94cd5ad028aa07baffd07fe208");
    }

    [Fact]
    public void CacheKey_JsonPropertyOrderWhitespaceAndNumberSpelling_DoNotMatter()
    {
        var a = LlmRequest.ForPrompt("p", "m") with { Tools = Json("[{\"name\":\"search\",\"parameters\":{\"limit\":10,\"ratio\":0.5}}]") };
        var b = LlmRequest.ForPrompt("p", "m") with { Tools = Json("[ { \"parameters\": { \"ratio\": 5e-1, \"limit\": 10.0 }, \"name\": \"search\" } ]") };

        a.CacheKey.Should().Be(b.CacheKey);
    }

    [Theory]
    [InlineData("temperature")]
    [InlineData("top_p")]
    [InlineData("max_tokens")]
    [InlineData("seed")]
    [InlineData("stop")]
    [InlineData("model")]
    [InlineData("response_format")]
    [InlineData("extras")]
    public void CacheKey_EveryParameter_ChangesIt(string parameter)
    {
        var baseline = LlmRequest.ForPrompt("p", "m");
        var changed = parameter switch
        {
            "temperature" => baseline with { Temperature = 0.2 },
            "top_p" => baseline with { TopP = 0.9 },
            "max_tokens" => baseline with { MaxTokens = 10 },
            "seed" => baseline with { Seed = 1 },
            "stop" => baseline with { StopSequences = ["END"] },
            "model" => baseline with { Model = "other" },
            "response_format" => baseline with { ResponseFormat = Json("{\"type\":\"json_object\"}") },
            _ => baseline with { Extras = new Dictionary<string, JsonElement> { ["reasoning_effort"] = Json("\"high\"") } },
        };

        changed.CacheKey.Should().NotBe(baseline.CacheKey);
    }

    [Fact]
    public void CacheKey_PromptAndMessagesBothOrNeither_Throws()
    {
        var act = () => new LlmRequest { Model = "m" }.CacheKey;

        act.Should().Throw<InvalidOperationException>().WithMessage("*exactly one of Prompt and Messages*");
    }

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static string Sha256Hex(string text) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
}
