using System.Text;
using Checkpointing.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Json;

/// <summary>
/// Reading with <see cref="JsonReadContext.DeferResponseText"/> (bytes the reader owns) keeps the LLM texts undecoded in
/// those bytes until first read, for snapshots small and large (from 1 MiB the texts are cut out while the UTF-8 is
/// checked, side by side) and journal records, and still refuses an undecodable text at its byte. Without it (bytes the
/// caller may reuse) every text is decoded before the read returns.
/// </summary>
public sealed class DeferredTextReadTests
{
    private const string File = "/cards/CARD.json";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Snapshot_ReadDeferred_KeepsItsTextsUndecoded_UntilFirstRead(bool large)
    {
        var answer = large ? new string('y', 1 << 20) : "an answer";
        var utf8 = Encoding.UTF8.GetBytes(PythonStyleCard.Document(PythonStyleCard.Stage("s", response: $"\"{answer}\"")));

        var response = ReadSnapshot(utf8, defer: true).StageCheckpoints["s"].LlmResponses[0];

        response.TryGetStoredPrompt(out _).Should().BeTrue();
        response.TryGetStoredText(out _).Should().BeTrue();
        response.Prompt.Should().Be("a prompt");
        response.Response.Should().Be(answer);
    }

    [Fact]
    public void Snapshot_ReadNotDeferred_DecodesItsTexts_SoTheCallerMayReuseItsBytes()
    {
        var utf8 = Encoding.UTF8.GetBytes(PythonStyleCard.Document(PythonStyleCard.Stage("s")));

        var response = ReadSnapshot(utf8, defer: false).StageCheckpoints["s"].LlmResponses[0];
        Array.Fill(utf8, (byte)'#');

        response.TryGetStoredPrompt(out _).Should().BeFalse();
        response.TryGetStoredText(out _).Should().BeFalse();
        response.Prompt.Should().Be("a prompt");
        response.Response.Should().Be("an answer");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void JournalRecord_ReadDeferred_KeepsItsTextsUndecoded_AndReadNotDeferred_DecodesThem(bool defer)
    {
        var utf8 = """{"v":2,"t":"2026-04-01T00:00:00+00:00","type":"llm_response","stage_name":"s","response":{"prompt":"p","response":"r"}}"""u8.ToArray();

        var change = (LlmResponseCached)ChangeJsonReader.Read(utf8, new JsonReadContext(File, 52, DeferResponseText: defer));

        change.Response.TryGetStoredPrompt(out _).Should().Be(defer);
        change.Response.TryGetStoredText(out _).Should().Be(defer);
        change.Response.Should().Match<LlmResponse>(r => r.Prompt == "p" && r.Response == "r");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UndecodableText_InADeferredRead_IsRefusedAtItsByte(bool large)
    {
        var padding = large ? new string('y', 1 << 20) : "";
        var json = PythonStyleCard.Document(PythonStyleCard.Stage("s", prompt: $"\"{padding} x \\ud800 y\""));
        var at = json.IndexOf("\\ud800", StringComparison.Ordinal);

        var act = () => CheckpointJsonReader.ReadSnapshot(Encoding.UTF8.GetBytes(json), new JsonReadContext(File, 1000, DeferResponseText: true));

        act.Should().Throw<CheckpointCorruptedException>().Which.Message.Should()
            .Be($"Checkpoint file '{File}' is corrupted at byte {1000 + at}: a string holds a \\u escape of a lone high surrogate, which has no UTF-8 form");
    }

    [Fact]
    public void ByteOrderMark_InADeferredRead_IsRefused()
    {
        var utf8 = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(PythonStyleCard.Document(PythonStyleCard.Stage("s")))).ToArray();

        var act = () => ReadSnapshot(utf8, defer: true);

        act.Should().Throw<CheckpointCorruptedException>().Which.Message.Should()
            .Be($"Checkpoint file '{File}' is corrupted: document: the file starts with a UTF-8 byte order mark, which checkpoint files never have");
    }

    [Fact]
    public void StoredDocumentsAndChanges_OfTheDatabaseStores_AreReadDeferred_AndRefusedAsTheOthers()
    {
        var utf8 = Encoding.UTF8.GetBytes(PythonStyleCard.Document(PythonStyleCard.Stage("s")));
        var change = """{"v":2,"t":"2026-04-01T00:00:00+00:00","type":"llm_response","stage_name":"s","response":{"prompt":"p","response":"r"}}"""u8.ToArray();

        var response = CheckpointJson.DeserializeStoredCheckpoint(utf8, "db#doc").StageCheckpoints["s"].LlmResponses[0];
        var cached = (LlmResponseCached)CheckpointJson.DeserializeStoredChange(change, "db#change");

        response.TryGetStoredText(out _).Should().BeTrue("the store hands the row's bytes over for good");
        cached.Response.TryGetStoredText(out _).Should().BeTrue();
        (response.Prompt, response.Response, cached.Response.Response).Should().Be(("a prompt", "an answer", "r"));

        var damaged = Encoding.UTF8.GetBytes(PythonStyleCard.Document(PythonStyleCard.Stage("s", prompt: "\"x \\ud800\"")));
        var deferred = () => CheckpointJson.DeserializeStoredCheckpoint(damaged, "db#doc");
        var whole = () => CheckpointJson.DeserializeCheckpoint(damaged, "db#doc");
        deferred.Should().Throw<CheckpointCorruptedException>().Which.Message.Should().Be(whole.Should().Throw<CheckpointCorruptedException>().Which.Message);
    }

    private static PipelineCheckpoint ReadSnapshot(byte[] utf8, bool defer) =>
        CheckpointJsonReader.ReadSnapshot(utf8, new JsonReadContext(File, DeferResponseText: defer)).Checkpoint;
}
