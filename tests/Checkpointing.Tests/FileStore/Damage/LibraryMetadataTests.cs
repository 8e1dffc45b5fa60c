using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore.Damage;

/// <summary>
/// The stage metadata the library reads back itself is checked by the load: before, a damaged value loaded and then
/// threw an untyped exception in <see cref="CheckpointManager.RunStageAsync{T}"/> or <see cref="CheckpointManager.GetCostReport"/>.
/// </summary>
public sealed class LibraryMetadataTests : IDisposable
{
    private const string Sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; // of nothing

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> DamagedMetadata() =>
    [
        Digest("a.txt", "\"12\"", Sha),
        """{"artifact_digests":{"a.txt":{"size":12,"sha256":"abc"}}}""",
        Digest("a.txt", "-1", Sha),
        """{"artifact_digests":"a.txt"}""",
        """{"saved_by_cache":"oops"}""",
        """{"saved_by_cache":{"calls":1,"prompt_tokens":"12","completion_tokens":0,"cost_by_currency":{}}}""",
        """{"saved_by_cache":{"calls":1,"prompt_tokens":1,"completion_tokens":0}}""",
        """{"fingerprint":7}""",
        """{"error_type":{"name":"x"}}""",
    ];

    private static string Digest(string path, string size, string sha256) =>
        "{\"artifact_digests\":{\"" + path + "\":{\"size\":" + size + ",\"sha256\":\"" + sha256 + "\"}}}";

    [Theory]
    [MemberData(nameof(DamagedMetadata))]
    public async Task DamagedLibraryMetadata_IsRefusedAtLoad(string metadata)
    {
        var directory = PythonStyleCard.Write(_temp.Combine("card"), PythonStyleCard.Document(PythonStyleCard.Stage("s", metadata: metadata)));

        (await DamagedCard.AssertRefusedAsync(directory)).Message.Should().Contain("stage_checkpoints.s.metadata.");
    }

    [Fact]
    public async Task ADigestOfADevice_DoesNotMakeRunStageAsyncReadForever_TheStageRunsAgain()
    {
        var metadata = Digest("/dev/zero", "0", Sha);
        var directory = PythonStyleCard.Write(_temp.Combine("card"), PythonStyleCard.Document(PythonStyleCard.Stage("s", metadata: metadata)));
        var manager = new CheckpointManager(DamagedCard.CardId, new FileSystemCheckpointRepository(directory));
        await using (manager)
        {
            await manager.ResumeAsync();
            var ran = false;

            var result = await manager.RunStageAsync("s", (_, _) =>
            {
                ran = true;
                return Task.FromResult("again");
            }).WaitAsync(TimeSpan.FromMinutes(2)); // a safety bound, not a measurement: before, this never returned

            ran.Should().BeTrue("a device is not the zero-byte file the digest describes");
            result.Should().Be("again");
        }
    }

    [Fact]
    public async Task PythonTokensOfTheWrongType_AreNotCounted_AndTheCostReportIsTyped()
    {
        var response = "\"answer\",\"tokens\":{\"prompt\":\"12\",\"completion\":3},\"cost_usd\":\"0.5\"";
        var directory = PythonStyleCard.Write(_temp.Combine("card"), PythonStyleCard.Document(PythonStyleCard.Stage("s", response: response)));
        var manager = new CheckpointManager(DamagedCard.CardId, new FileSystemCheckpointRepository(directory));
        await using (manager)
        {
            await manager.ResumeAsync();

            var report = manager.GetCostReport();

            report.Total.PromptTokens.Should().Be(0, "a count written as a string is not a count");
            report.Total.CompletionTokens.Should().Be(3);
            report.Total.CostByCurrency.Should().BeEmpty("a cost written as a string is not a cost");
        }
    }

    [Fact]
    public async Task UsageSummingPastWhatTheReportHolds_IsATypedError()
    {
        var huge = "\"answer\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"cost\":79000000000000000000000000000,\"currency\":\"USD\"}";
        var stages = new[] { ("a", PythonStyleCard.Stage("a", response: huge)), ("b", PythonStyleCard.Stage("b", response: huge)) };
        var directory = PythonStyleCard.Write(_temp.Combine("card"), PythonStyleCard.Document(stages));
        var manager = new CheckpointManager(DamagedCard.CardId, new FileSystemCheckpointRepository(directory));
        await using (manager)
        {
            await manager.ResumeAsync();

            manager.Invoking(m => m.GetCostReport()).Should().Throw<CheckpointCorruptedException>().Which.InnerException.Should().BeOfType<OverflowException>();
        }
    }
}
