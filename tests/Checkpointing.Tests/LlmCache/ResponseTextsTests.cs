using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Checkpointing.Json;
using Checkpointing.LlmCache;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.LlmCache;

/// <summary>
/// The texts of recorded responses kept as UTF-8 in shared buffers (<see cref="ResponseTexts"/>): the same texts, the
/// same bytes written, equal and hashed alike whatever form a text is in, and a text that is not valid UTF-16 left alone.
/// </summary>
public sealed class ResponseTextsTests
{
    public static TheoryData<string> Texts() => new()
    {
        "plain ascii",
        "line one\nline \"two\"\t\\ end",
        "caf\u00e9 \u4e2d\u6587 \ud83d\ude00 emoji",
        "<script>&'</script> \u0001\u001f control",
        "\u2028\u2029 separators",
        new string('x', 70_000),
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Store_KeepsTheTextsUtf8_AndDecodesItBack(string text)
    {
        var stored = new ResponseTexts().Store(text);

        stored.IsEmpty.Should().BeFalse();
        var utf8 = stored.GetUtf8(out var rented);
        rented.Should().BeNull("plain UTF-8 is read in place");
        utf8.ToArray().Should().Equal(Encoding.UTF8.GetBytes(text));
        stored.Decode().Should().Be(text);
    }

    [Fact]
    public void Store_AnEmptyOrInvalidText_KeepsNothing()
    {
        // Not theory data: a lone surrogate does not survive the runner's serialization of test cases.
        foreach (var text in new[] { string.Empty, "lone \ud800 high", "lone \udc00 low", "ends high \ud83d", "\ude00\ud83d swapped" })
        {
            var texts = new ResponseTexts();

            texts.Store(text).IsEmpty.Should().BeTrue("the string stays as it is, so it is written as it always was");
            texts.Store("next").Decode().Should().Be("next", "a refused text leaves no half-written bytes in the way");
        }
    }

    [Fact]
    public void Store_ManyTexts_GrowsItsBuffersByDoubling_AndNoTextOverwritesAnother()
    {
        var texts = new ResponseTexts();
        var random = new Random(7);
        var written = new List<(string Text, StoredJsonString Stored)>();
        for (var i = 0; i < 600; i++)
        {
            var text = new string((char)('a' + random.Next(26)), random.Next(1, 9000)) + i;
            written.Add((text, texts.Store(text)));
        }

        written.Should().OnlyContain(entry => entry.Stored.Decode() == entry.Text);
        var total = written.Sum(entry => (long)entry.Text.Length);
        texts.AllocatedBytes.Should().BeGreaterThanOrEqualTo(total).And.BeLessThan(total + (2L * ResponseTexts.MaxChunkBytes));
    }

    [Fact]
    public void Store_FirstShortText_AllocatesOnlyTheFirstBuffer()
    {
        var texts = new ResponseTexts();

        texts.Store("short");

        texts.AllocatedBytes.Should().Be(ResponseTexts.FirstChunkBytes, "a manager with a few short answers keeps little");
    }

    [Fact]
    public void Store_ATextLongerThanABuffer_GetsABufferOfItsOwn()
    {
        var texts = new ResponseTexts();
        texts.Store("before");
        var large = new string('L', ResponseTexts.MaxChunkBytes + 10);

        var stored = texts.Store(large);

        stored.Decode().Should().Be(large);
        texts.AllocatedBytes.Should().Be(ResponseTexts.FirstChunkBytes + ResponseTexts.MaxChunkBytes + 10);
    }

    [Fact]
    public void Keep_AResponseOfStrings_GivesAnEqualResponseWhoseTextsAreStored()
    {
        var original = new LlmResponse("the prompt \u00e9", "the answer\n")
        {
            Model = "m",
            Usage = new LlmUsage(3, 4, 0.5m),
            FinishReason = "stop",
            RequestKey = "key",
            AdditionalProperties = ImmutableDictionary<string, JsonElement>.Empty.Add("x", JsonDocument.Parse("1").RootElement),
        };

        var kept = new ResponseTexts().Keep(original);

        kept.Should().NotBeSameAs(original);
        kept.TryGetStoredPrompt(out _).Should().BeTrue();
        kept.TryGetStoredText(out _).Should().BeTrue();
        kept.Should().Be(original);
        kept.GetHashCode().Should().Be(original.GetHashCode());
        (kept.Model, kept.Usage, kept.FinishReason, kept.RequestKey).Should().Be((original.Model, original.Usage, original.FinishReason, original.RequestKey));
        kept.AdditionalProperties.Should().BeSameAs(original.AdditionalProperties);
        kept.Prompt.Should().Be(original.Prompt);
        kept.Response.Should().Be(original.Response);
    }

    [Fact]
    public void Keep_AResponseWhoseTextsAreStoredAlready_GivesTheSameObject()
    {
        var texts = new ResponseTexts();
        var kept = texts.Keep(new LlmResponse("p", "r"));
        var loaded = ReadBack(kept);

        texts.Keep(kept).Should().BeSameAs(kept);
        texts.Keep(loaded).Should().BeSameAs(loaded, "a response read from a store keeps its texts in the store's bytes");
        texts.Keep(new LlmResponse(string.Empty, string.Empty)).Prompt.Should().BeEmpty();
    }

    [Fact]
    public void Keep_AResponseWithAnInvalidText_KeepsTheOtherText_AndWritesTheSameBytes()
    {
        var original = new LlmResponse("fine", "bad \ud800");

        var kept = new ResponseTexts().Keep(original);

        kept.TryGetStoredPrompt(out _).Should().BeTrue();
        kept.TryGetStoredText(out _).Should().BeFalse();
        Write(kept).Should().Equal(Write(original));
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Keep_WritesTheSameBytes_AsTheStrings(string text)
    {
        var original = new LlmResponse(text, text + "!") { Model = "m" };

        var kept = new ResponseTexts().Keep(original);

        Write(kept).Should().Equal(Write(original));
    }

    [Fact]
    public void AResponseOfANonStringStoredAnswer_KeepsThatAnswer()
    {
        var loaded = ReadBack("""{"prompt":"p","response":null}""");

        var kept = new ResponseTexts().Keep(loaded);

        Write(kept).Should().Equal(Write(loaded));
        kept.Response.Should().BeEmpty();
    }

    [Fact]
    public void Equality_ComparesTextsInAnyForm_WithoutDecodingStoredOnes()
    {
        var texts = new ResponseTexts();
        var strings = new LlmResponse("same \"prompt\"\n", "same answer");
        var plain = texts.Keep(strings);
        var token = ReadBack(strings);

        plain.Should().Be(token);
        token.Should().Be(plain);
        strings.Should().Be(token);
        plain.GetHashCode().Should().Be(token.GetHashCode()).And.Be(strings.GetHashCode());
        plain.TryGetStoredPrompt(out _).Should().BeTrue("comparing did not decode the prompt");
        token.TryGetStoredText(out _).Should().BeTrue("comparing did not decode the answer");

        texts.Keep(new LlmResponse("same \"prompt\"\n", "same answes")).Should().NotBe(token, "one byte differs");
        texts.Keep(new LlmResponse("same \"prompt\"\n", "same answer ")).Should().NotBe(plain, "one byte more");
        new LlmResponse("same \"prompt\"\n", "same answe").Should().NotBe(token, "one character less");
        new LlmResponse("same \"prompt\"\n", "same answ\u00e9r").Should().NotBe(plain, "as many characters, more bytes");
        new LlmResponse("p", "\ufffd").Should().NotBe(texts.Keep(new LlmResponse("p", "\ufffd\ufffd")));
        new LlmResponse("p", "\ud800").Should().NotBe(texts.Keep(new LlmResponse("p", "\ufffd")), "a lone surrogate is not its replacement");
        new LlmResponse("p", "\ud800").Should().NotBe(ReadBack(new LlmResponse("p", "\ufffd")));
    }

    private static byte[] Write(LlmResponse response) =>
        CheckpointJson.SerializeChange(new LlmResponseCached(2, DateTimeOffset.UnixEpoch, "stage", response));

    private static LlmResponse ReadBack(LlmResponse response) => ReadBack(Write(response));

    private static LlmResponse ReadBack(string responseJson) =>
        ReadBack(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Write(new LlmResponse("p", "r"))).Replace("""{"prompt":"p","response":"r"}""", responseJson, StringComparison.Ordinal)));

    /// <summary>Reads a record as the file store does: the texts stay in the record's bytes.</summary>
    private static LlmResponse ReadBack(byte[] record) =>
        ((LlmResponseCached)ChangeJsonReader.Read(record, new JsonReadContext("test", DeferResponseText: true))).Response;
}
