using System.Text;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore.Damage;

/// <summary>
/// Strings that parse but cannot be decoded (a lone surrogate escape, which Python's <c>json.dumps</c> writes for
/// surrogate-escaped text, or invalid UTF-8) are refused by the load, even in texts decoded only when first read:
/// before, the load succeeded and a resume wrote its record, then failed in the cache rebuild.
/// </summary>
public sealed class UndecodableTextTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string, string> UndecodableStrings() => new()
    {
        { "prompt", "\"x \\ud800 y\"" },
        { "prompt", "\"ends with \\udbff\"" },
        { "response", "\"\\udc00 lone low\"" },
        { "response", "\"high then high \\ud800\\ud800\"" },
        { "response", "\"an escaped backslash, then \\\\\\ud800\"" },
    };

    [Theory]
    [MemberData(nameof(UndecodableStrings))]
    public async Task LoneSurrogateEscape_InALazilyDecodedText_IsRefusedAtLoad(string field, string value)
    {
        var record = field == "prompt" ? PythonStyleCard.Stage("s", prompt: value) : PythonStyleCard.Stage("s", response: value);
        var directory = PythonStyleCard.Write(_temp.Combine("card"), PythonStyleCard.Document(record));

        var error = await DamagedCard.AssertRefusedAsync(directory);

        error.Message.Should().Contain("surrogate");
        ((CheckpointCorruptedException)error).Offset.Should().BePositive("the error says where");
    }

    [Fact]
    public async Task InvalidUtf8_InAResponse_IsRefusedAtLoad_WithItsOffset()
    {
        var document = Encoding.UTF8.GetBytes(PythonStyleCard.Document(PythonStyleCard.Stage("s", response: "\"bad byte here\"")));
        var at = Encoding.UTF8.GetString(document).IndexOf("byte here", StringComparison.Ordinal);
        document[at] = 0xC3; // a lead byte followed by an ASCII byte
        var directory = PythonStyleCard.Write(_temp.Combine("card"), document);

        var error = (CheckpointCorruptedException)await DamagedCard.AssertRefusedAsync(directory);

        error.Offset.Should().Be(at);
        error.Message.Should().Contain("UTF-8");
    }

    [Fact]
    public async Task BitFlipInAPrompt_MakingItInvalidUtf8_IsRefusedBeforeAResumeWrites()
    {
        var directory = _temp.Combine("card");
        var manager = new CheckpointManager(DamagedCard.CardId, new FileSystemCheckpointRepository(directory));
        await using (manager)
        {
            await manager.CreateCheckpointAsync(3);
            await manager.CacheLlmResponseAsync("s", new LlmResponse("a prompt the flip lands in", "answer"));
        }

        var snapshot = Path.Combine(directory, DamagedCard.CardId + ".json");
        var bytes = await File.ReadAllBytesAsync(snapshot);
        bytes[Encoding.UTF8.GetString(bytes).IndexOf("flip lands", StringComparison.Ordinal)] ^= 0x80;
        await File.WriteAllBytesAsync(snapshot, bytes);

        await DamagedCard.AssertRefusedAsync(directory);
    }

    [Theory]
    [InlineData("{\"x\\ud800\":1}", "a property name")]
    [InlineData("\"\\udfff\"", "an unknown field's value")]
    public async Task LoneSurrogateEscape_AnywhereElse_IsRefusedAtLoad(string value, string where)
    {
        var directory = PythonStyleCard.Write(_temp.Combine("card"), PythonStyleCard.Document(PythonStyleCard.Stage("s"), $",\"extra\":{value}"));

        (await DamagedCard.AssertRefusedAsync(directory)).Message.Should().Contain("surrogate", where);
    }

    [Fact]
    public async Task LoneSurrogate_InOneOfManyStages_ReadInParallel_IsATypedError_NotAnAggregateException()
    {
        var stages = Enumerable.Range(0, 100).Select(i => ($"s-{i}", PythonStyleCard.Stage($"s-{i}", prompt: i == 70 ? "\"\\ud800\"" : "\"p\""))).ToList();
        var directory = PythonStyleCard.Write(_temp.Combine("card"), PythonStyleCard.Document(stages));

        await DamagedCard.AssertRefusedAsync(directory);
    }

    [Fact]
    public void CheckpointJson_TheCodecOfTheDatabaseStores_RefusesUndecodableStrings()
    {
        var document = Encoding.UTF8.GetBytes(PythonStyleCard.Document(PythonStyleCard.Stage("s", response: "\"\\ud800\"")));

        FluentActions.Invoking(() => CheckpointJson.DeserializeCheckpoint(document, "db#row"))
            .Should().Throw<CheckpointCorruptedException>().Which.Path.Should().Be("db#row");
        var change = Encoding.UTF8.GetBytes("{\"v\":2,\"t\":\"2026-04-01T12:00:00+00:00\",\"type\":\"current_stage\",\"stage_name\":\"\\udc00\"}");
        FluentActions.Invoking(() => CheckpointJson.DeserializeChange(change, "db#change"))
            .Should().Throw<CheckpointCorruptedException>().Which.Path.Should().Be("db#change");
    }

    [Fact]
    public async Task ForgedJournalRecord_WithALoneSurrogateInItsResponse_IsRefusedAtLoad()
    {
        var directory = _temp.Combine("card");
        var (_, journalPath, _) = await DamagedCard.WriteAsync(directory, DamagedCard.Stage("s-1"));
        var journal = await File.ReadAllBytesAsync(journalPath);
        var end = (int)DamagedCard.RecordsEnd(journal);
        var record = PythonStyleCard.Record(Encoding.UTF8.GetBytes(
            "{\"v\":3,\"t\":\"2026-04-01T12:05:00+00:00\",\"type\":\"llm_response\",\"stage_name\":\"s-2\",\"response\":{\"prompt\":\"p\",\"response\":\"\\ud800\"}}"));
        record.CopyTo(journal, end);
        await File.WriteAllBytesAsync(journalPath, journal);

        ((CheckpointCorruptedException)await DamagedCard.AssertRefusedAsync(directory)).Offset.Should().BeGreaterThanOrEqualTo(end);
    }

    [Fact]
    public async Task HashedFileName_WhoseCardIdCannotBeDecoded_IsNotListed_AndListingDoesNotThrow()
    {
        var directory = _temp.Combine("list");
        var repository = new FileSystemCheckpointRepository(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "~~" + new string('0', 64) + ".json"), "{\"checkpoint_id\":\"c\",\"card_id\":\"\\ud800\"}");

        (await repository.ListCardIdsAsync()).Should().BeEmpty();
    }

    [Theory]
    [InlineData("\"\\ud83d\\ude00 a pair\"", "😀 a pair")]
    [InlineData("\"\\\\ud800 is text\"", "\\ud800 is text")]
    [InlineData("\"caf\u00e9\"", "caf\u00e9")]
    public async Task DecodableStrings_AreNotMistakenForDamage(string json, string text)
    {
        var directory = PythonStyleCard.Write(_temp.Combine("card"), PythonStyleCard.Document(PythonStyleCard.Stage("s", prompt: json, response: json)));

        var loaded = await new FileSystemCheckpointRepository(directory).LoadAsync(DamagedCard.CardId);

        loaded!.StageCheckpoints["s"].LlmResponses[0].Prompt.Should().Be(text);
        loaded.StageCheckpoints["s"].LlmResponses[0].Response.Should().Be(text);
    }
}
