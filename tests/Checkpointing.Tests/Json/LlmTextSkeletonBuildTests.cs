using System.Text;
using System.Text.Json;
using Checkpointing.Json;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Json;

/// <summary>
/// How <see cref="LlmTextSkeleton.TryBuild"/> cuts texts out: only the <c>prompt</c> and <c>response</c> strings of
/// LLM responses, each replaced by its number; anything it does not expect gives no skeleton (the caller then parses
/// the document whole) and never an exception.
/// </summary>
public sealed class LlmTextSkeletonBuildTests
{
    private const string Pending = """{"pending_llm_responses":{"b":[{"prompt":""";

    [Fact]
    public void Skeleton_IsTheDocument_WithEachTextReplacedByItsNumber()
    {
        // Enough texts for two-digit numbers, and a skeleton larger than its first buffer.
        var texts = Enumerable.Range(0, 12).Select(i => $"text {i} " + new string('t', 40)).ToArray();
        var responses = string.Join(",", Enumerable.Range(0, 6).Select(i => $$"""{"prompt":"{{texts[2 * i]}}","model":"m{{i}}","response":"{{texts[(2 * i) + 1]}}"}"""));
        var document = "{\"card_id\":\"" + new string('c', 400) + "\",\"stage_checkpoints\":{\"plan\":{\"llm_responses\":[" + responses
            + "],\"tail\":\"" + new string('z', 300) + "\"}}}";

        using var skeleton = LlmTextSkeleton.TryBuild(Encoding.UTF8.GetBytes(document), change: false);

        var expected = document;
        for (var i = 0; i < texts.Length; i++)
        {
            expected = expected.Replace($"\"{texts[i]}\"", $"\"{i}\"", StringComparison.Ordinal);
        }

        skeleton.Should().NotBeNull();
        Encoding.UTF8.GetString(skeleton!.Bytes.Span).Should().Be(expected);
    }

    [Fact]
    public void Resolve_GivesTheTextOfEachNumber_AndRefusesAnyOtherString()
    {
        var document = Encoding.UTF8.GetBytes(Pending + "\"first\",\"response\":\"second\\n\"}]}}");
        using var skeleton = LlmTextSkeleton.TryBuild(document, change: false);

        skeleton.Should().NotBeNull();
        skeleton!.Resolve(Element("\"0\"")).Decode().Should().Be("first");
        skeleton.Resolve(Element("\"1\"")).Decode().Should().Be("second\n");
        foreach (var other in new[] { "\"2\"", "\"x\"", "\"-1\"", "\"\"" })
        {
            var resolve = () => skeleton.Resolve(Element(other));
            resolve.Should().Throw<InvalidOperationException>(other).WithMessage("An LLM text of the parsed document has no placeholder in its skeleton.");
        }
    }

    /// <summary>Documents with strings named <c>prompt</c> or <c>response</c> that are not texts of LLM responses.</summary>
    [Theory]
    [InlineData("""{"card_id":"x","status":"running"}""", false)]
    [InlineData("""{"stage_checkpoints":{"s":{"result":[{"prompt":"p"}]}}}""", false)]
    [InlineData("""{"extra":{"b":[{"prompt":"p"}]}}""", false)]
    [InlineData("""[{"stage_checkpoints":0},{"s":{"llm_responses":[{"prompt":"p"}]}}]""", false)]
    [InlineData("""{"type":"x","extra":{"prompt":"p"}}""", true)]
    [InlineData("""{"type":"x","response":["p"]}""", true)]
    [InlineData("""{"type":"x","stage":{"result":[{"prompt":"p"}]}}""", true)]
    public void Document_WithoutLlmTexts_HasNoSkeleton(string document, bool change) =>
        LlmTextSkeleton.TryBuild(Encoding.UTF8.GetBytes(document), change).Should().BeNull();

    [Theory]
    [InlineData("""{"stage_checkpoints":{"s":{"llm_responses":[{"prompt":"p"}]}}}""", false)]
    [InlineData("""{"pending_llm_responses":{"b":[{"response":"r"}]}}""", false)]
    [InlineData("""{"type":"llm_response","response":{"prompt":"p"}}""", true)]
    [InlineData("""{"type":"stage","stage":{"llm_responses":[{"prompt":"p"}]}}""", true)]
    [InlineData("{\"pending_llm_responses\":{\"b\":[{\"prompt\": \n\t\"p\"}]}}", false)] // white space (not text) right before a text
    public void Document_WithLlmTexts_HasASkeleton(string document, bool change)
    {
        using var skeleton = LlmTextSkeleton.TryBuild(Encoding.UTF8.GetBytes(document), change);

        skeleton.Should().NotBeNull();
    }

    /// <summary>Documents that are not JSON, or not as expected: no skeleton, and no exception.</summary>
    [Theory]
    [InlineData(Pending + "\"p\"}]}}}", "one closing bracket too many")]
    [InlineData(Pending + "\"p\"}]}", "a bracket left open")]
    [InlineData(Pending + "\"ok\",\"response\":\"bad \\x\"}]}}", "an escape JSON does not allow, after a text")]
    [InlineData(Pending + "\"\u0001 first\"}]}}", "a control character first in a text")]
    [InlineData(Pending + "\"cut short\\", "a backslash as the last byte")]
    [InlineData(Pending + "\"cut short\\n", "an escape as the last bytes")]
    [InlineData(Pending + "\"cut short\\u00e", "a \\u escape cut short")]
    public void UnexpectedDocument_HasNoSkeleton(string document, string what)
    {
        var build = () => LlmTextSkeleton.TryBuild(Encoding.UTF8.GetBytes(document), change: false);

        build.Should().NotThrow(what).Which.Should().BeNull(what);
    }

    [Fact]
    public void DocumentNestedDeeperThanAllowed_HasNoSkeleton()
    {
        var document = Pending + "\"p\"}]}," + "\"x\":" + new string('[', JsonFields.MaxDepth) + new string(']', JsonFields.MaxDepth) + "}";

        var build = () => LlmTextSkeleton.TryBuild(Encoding.UTF8.GetBytes(document), change: false);

        build.Should().NotThrow().Which.Should().BeNull();
    }

    [Theory]
    [InlineData("\"just a string\"")]
    [InlineData(Pending + "\"p\"}]}},1")]
    [InlineData(Pending + "\"p\"}]}}\"after\"")]
    public void TopLevelValuesAfterOrInsteadOfTheDocument_AreNoException(string document)
    {
        var build = () => LlmTextSkeleton.TryBuild(Encoding.UTF8.GetBytes(document), change: false)?.Dispose();

        build.Should().NotThrow();
    }

    private static JsonElement Element(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
