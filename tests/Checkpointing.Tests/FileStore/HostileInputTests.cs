using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Checkpointing.FileStore;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// Card ids and files an attacker, a bug or a crash could hand the file store: every one either works as a card of
/// its own inside the checkpoint directory, or is refused with a typed error, and nothing on disk is damaged.
/// </summary>
public sealed class HostileInputTests(ITestOutputHelper output) : IDisposable
{
    private const string CardId = "CARD";

    /// <summary>A journal starts with <c>CKPTJRN1</c> and the 32-hex id of its generation.</summary>
    private const int JournalHeaderSize = JournalFormat.HeaderSize;

    private static readonly DateTimeOffset At = new(2026, 4, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly string[] CardIdCorpus =
    [
        "../x", "../../x", "/etc/passwd", "a/b", "a\\b", "..", ".", "...", ".hidden", "x.", "a b",
        "", " ", "   ", "\t", "\n", "\0", "a\0b", "a\nb", "\u001b[2J", "\u007f", "\u0085", "\ud800",
        new string('a', 1000), new string('a', 999) + "b", new string('é', 1000),
        "CON", "con", "CON.txt", "NUL", "COM1", "LPT9",
        "caf\u00e9", "cafe\u0301", "Card-A", "card-a", "CARD-A",
        "~x", "~~" + new string('0', 64), "%2E%2E", "~%2E%2E", "CARD.v2", "x.json", "x.journal", "x.lock", "-x", "🙂", "\u200b",
    ];

    /// <summary>Ids that can never be stored: empty, white space, control characters, invalid UTF-16.</summary>
    private static readonly HashSet<string> MustBeRefused =
        new(["", " ", "   ", "\t", "\n", "\0", "a\0b", "a\nb", "\u001b[2J", "\u007f", "\u0085", "\ud800"], StringComparer.Ordinal);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task CardIdCorpus_EachIdIsADistinctCardInsideTheDirectoryOrIsRefused_AndNothingIsCreatedOutside()
    {
        var outer = _temp.Combine("outer");
        var store = Path.Combine(outer, "store");
        Directory.CreateDirectory(outer);
        await File.WriteAllTextAsync(Path.Combine(outer, "sentinel.txt"), "outside the store");
        var outsideBefore = ListOutside(_temp.Path, store);
        // Where an absolute or climbing id would land if it escaped the directory.
        string[] escapes = [.. new[] { "/etc/passwd", Path.Combine(outer, "x"), Path.Combine(_temp.Path, "x"), "/x" }
            .SelectMany(path => new[] { path + ".json", path + ".journal", path + ".lock" })];
        var escapesBefore = escapes.Where(File.Exists).ToList();

        var repository = new FileSystemCheckpointRepository(store);
        var stored = new List<string>();
        var refused = new List<string>();
        foreach (var id in CardIdCorpus)
        {
            (await TryStoreAsync(repository, id) ? stored : refused).Add(id);
        }

        output.WriteLine($"stored {stored.Count}: {string.Join(", ", stored.Select(Show))}");
        output.WriteLine($"refused {refused.Count}: {string.Join(", ", refused.Select(Show))}");
        refused.Should().BeEquivalentTo(MustBeRefused, "empty, white-space, control-character and invalid ids are refused; the others are storable");

        (await repository.ListCardIdsAsync()).Order(StringComparer.Ordinal).Should().Equal(
            stored.Order(StringComparer.Ordinal), "every stored id is listed exactly as given (compared ordinally)");

        var snapshots = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in stored)
        {
            var loaded = await repository.LoadAsync(id);
            loaded.Should().NotBeNull($"{Show(id)} was stored");
            loaded!.CardId.Should().Be(id, "the id comes back exactly, not normalized or case-folded");
            loaded.StageCheckpoints["only"].GetResult<string>().Should().Be(id, $"{Show(id)} reads its own card, not another's");
            var snapshot = repository.GetSnapshotPath(id);
            Path.GetDirectoryName(snapshot).Should().Be(repository.Directory, $"{Show(id)} must map inside the directory");
            File.Exists(snapshot).Should().BeTrue();
            snapshots.Add(snapshot).Should().BeTrue($"{Show(id)} must map to a file of its own");
        }

        Directory.GetFiles(store, "*.json").Should().HaveCount(stored.Count, "one snapshot per stored id, no two sharing a file");
        Directory.GetDirectories(store).Should().BeEmpty("no id creates a subdirectory");

        foreach (var id in refused)
        {
            await repository.Invoking(r => r.LoadAsync(id)).Should().ThrowAsync<ArgumentException>($"{Show(id)} is refused by every method");
            await repository.Invoking(r => r.ExistsAsync(id)).Should().ThrowAsync<ArgumentException>();
        }

        ListOutside(_temp.Path, store).Should().Equal(outsideBefore, "nothing is created, changed or removed outside the checkpoint directory");
        escapes.Where(File.Exists).Should().Equal(escapesBefore);
    }

    public static TheoryData<string> CorruptFiles() =>
    [
        "truncated", "zero-length", "bom-prefixed", "duplicate-top-level-key", "200-deep-nesting", "wrong-type",
        "future-schema-version", "snapshot-over-max-file-bytes", "journal-over-max-file-bytes", "journal-bad-magic", "not-json",
    ];

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public async Task CorruptFile_GivesATypedError_IsLeftExactlyAsItWas_AndCreateRefusesToOverwriteIt(string kind)
    {
        var (snapshot, journal) = await CreateValidCardFilesAsync();
        var (originalSnapshot, originalJournal) = (snapshot.ToArray(), journal.ToArray());
        var snapshotText = Encoding.UTF8.GetString(snapshot);
        long? maxFileBytes = null;
        Type expected = typeof(CheckpointCorruptedException);
        switch (kind)
        {
            case "truncated":
                snapshot = snapshot[..(snapshot.Length / 2)];
                break;
            case "zero-length":
                snapshot = [];
                break;
            case "bom-prefixed":
                snapshot = [0xEF, 0xBB, 0xBF, .. snapshot];
                break;
            case "duplicate-top-level-key":
                snapshot = Encoding.UTF8.GetBytes(ReplaceOnce(snapshotText, "{", "{\n  \"status\": \"paused\","));
                break;
            case "200-deep-nesting":
                snapshot = Encoding.UTF8.GetBytes(
                    ReplaceOnce(snapshotText, "{", "{\n  \"deep\": " + new string('[', 200) + new string(']', 200) + ","));
                break;
            case "wrong-type":
                snapshot = Encoding.UTF8.GetBytes(Regex.Replace(snapshotText, "\"total_stages\": \\d+", "\"total_stages\": \"x\""));
                break;
            case "future-schema-version":
                snapshot = Encoding.UTF8.GetBytes(Regex.Replace(snapshotText, "\"schema_version\": \\d+", "\"schema_version\": 99"));
                expected = typeof(CheckpointVersionException);
                break;
            case "snapshot-over-max-file-bytes":
                maxFileBytes = snapshot.Length - 1;
                expected = typeof(CheckpointTooLargeException);
                break;
            case "journal-over-max-file-bytes":
                maxFileBytes = snapshot.Length + 100;
                journal = [.. journal, .. new byte[snapshot.Length + 200 - journal.Length]];
                expected = typeof(CheckpointTooLargeException);
                break;
            case "journal-bad-magic":
                journal[0] ^= 0x20;
                break;
            case "not-json":
                snapshot = Encoding.UTF8.GetBytes("this is not a checkpoint");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }

        if (maxFileBytes is null)
        {
            (snapshot.AsSpan().SequenceEqual(originalSnapshot) && journal.AsSpan().SequenceEqual(originalJournal))
                .Should().BeFalse("the test must really have damaged a file");
        }

        var options = new FileSystemCheckpointRepositoryOptions();
        if (maxFileBytes is { } max)
        {
            options.MaxFileBytes = max;
        }

        var directory = _temp.Combine("corrupt");
        var repository = new FileSystemCheckpointRepository(directory, options);
        var snapshotPath = repository.GetSnapshotPath(CardId);
        var journalPath = Path.ChangeExtension(snapshotPath, ".journal");
        await File.WriteAllBytesAsync(snapshotPath, snapshot);
        await File.WriteAllBytesAsync(journalPath, journal);

        var error = await repository.Invoking(r => r.LoadAsync(CardId)).Should().ThrowAsync<CheckpointException>();
        error.Which.Should().BeOfType(expected, error.Which.ToString());
        error.Which.Message.Should().Contain(kind.StartsWith("journal", StringComparison.Ordinal) ? journalPath : snapshotPath, "the error names the file");
        AssertUnchanged();

        var manager = new CheckpointManager(CardId, repository);
        await using (manager)
        {
            (await manager.CanResumeAsync()).Should().BeFalse("an unreadable checkpoint cannot be resumed");
            (await manager.Invoking(m => m.ResumeAsync()).Should().ThrowAsync<CheckpointException>()).Which.Should().BeOfType(expected);
            (await manager.Invoking(m => m.CreateCheckpointAsync(3)).Should().ThrowAsync<CheckpointException>(
                "creating a new run must not overwrite a checkpoint it cannot read")).Which.Should().BeOfType(expected);
            AssertUnchanged();
        }

        AssertUnchanged();
        Directory.GetFiles(directory).Select(Path.GetFileName).Should().BeEquivalentTo([$"{CardId}.json", $"{CardId}.journal", $"{CardId}.lock"]);

        void AssertUnchanged()
        {
            File.ReadAllBytes(snapshotPath).Should().Equal(snapshot, "the snapshot is left exactly as it was");
            File.ReadAllBytes(journalPath).Should().Equal(journal, "the journal is left exactly as it was");
        }
    }

    /// <summary>
    /// How a crash can leave the last record: cut short at the end of the file, or, in the zero-filled space the writer
    /// keeps ahead, with some of its pages on disk and others still zeros (pages reach the disk in any order).
    /// </summary>
    public static TheoryData<string> TornRecords() => ["cut-short", "header-page-lost", "last-page-lost"];

    [Theory]
    [MemberData(nameof(TornRecords))]
    public async Task TornLastJournalRecord_LoadsTheEarlierRecords_AndTheNextOwnerCutsIt(string torn)
    {
        var directory = _temp.Combine("torn");
        var (journalPath, records, recordsEnd) = await WriteCardWithThreeJournalRecordsAsync(directory);
        var original = await File.ReadAllBytesAsync(journalPath);
        original.Length.Should().BeGreaterThan((int)recordsEnd, "the writer keeps zero-filled space after its records");
        var last = (int)records[2];
        var damaged = torn switch
        {
            "cut-short" => original[..((int)recordsEnd - 3)],
            "header-page-lost" => [.. original[..last], .. new byte[JournalFormat.RecordHeaderSize + 10], .. original[(last + JournalFormat.RecordHeaderSize + 10)..]],
            "last-page-lost" => [.. original[..((int)recordsEnd - 10)], .. new byte[original.Length - (int)recordsEnd + 10]],
            _ => throw new ArgumentOutOfRangeException(nameof(torn), torn, null),
        };
        damaged.AsSpan().SequenceEqual(original).Should().BeFalse("the test must really have torn the record");
        await File.WriteAllBytesAsync(journalPath, damaged);

        var loaded = await new FileSystemCheckpointRepository(directory).LoadAsync(CardId);
        loaded!.Version.Should().Be(3, "the snapshot (version 1) and the two whole records");
        loaded.StageCheckpoints.Keys.Should().Equal("s-1", "s-2");
        (await File.ReadAllBytesAsync(journalPath)).Should().Equal(damaged, "a reader does not change the files");

        var owner = new FileSystemCheckpointRepository(directory);
        await using (await owner.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            var owned = await owner.LoadAsync(CardId);
            owned!.Version.Should().Be(3);
            (await File.ReadAllBytesAsync(journalPath)).Should().Equal(original[..last], "the next owner cuts the torn record, and only it");
        }

        var manager = new CheckpointManager(CardId, new FileSystemCheckpointRepository(directory));
        await using (manager)
        {
            await manager.ResumeAsync();
            await manager.SaveStageCheckpointAsync("s-3", StageStatus.Completed);
        }

        var final = await new FileSystemCheckpointRepository(directory).LoadAsync(CardId);
        final!.StageCheckpoints.Keys.Should().Equal("s-1", "s-2", "s-3");
    }

    [Fact]
    public async Task ZeroFilledSpaceAfterTheRecords_IsNotATornTail_AndTheNextOwnerKeepsWritingIntoIt()
    {
        var directory = _temp.Combine("zero-filled");
        var (journalPath, _, recordsEnd) = await WriteCardWithThreeJournalRecordsAsync(directory);
        var original = await File.ReadAllBytesAsync(journalPath);
        original.AsSpan((int)recordsEnd).ContainsAnyExcept((byte)0).Should().BeFalse();

        var owner = new FileSystemCheckpointRepository(directory);
        await using (await owner.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            var owned = await owner.LoadAsync(CardId);
            owned!.StageCheckpoints.Keys.Should().Equal("s-1", "s-2", "s-3");
            (await File.ReadAllBytesAsync(journalPath)).Should().Equal(original, "zero-filled space is not a torn tail: nothing is cut");

            var change = new StatusChanged(owned.Version + 1, At.AddHours(1), CheckpointStatus.Paused, null);
            await owner.SaveChangeAsync(new AppliedChange(owned, change));
        }

        var after = await File.ReadAllBytesAsync(journalPath);
        after.Length.Should().Be(original.Length, "the record went into the zero-filled space");
        after.AsSpan(0, (int)recordsEnd).SequenceEqual(original.AsSpan(0, (int)recordsEnd)).Should().BeTrue("earlier records are untouched");
        var reloaded = await new FileSystemCheckpointRepository(directory).LoadAsync(CardId);
        reloaded!.Status.Should().Be(CheckpointStatus.Paused);
        reloaded.Version.Should().Be(5);
    }

    [Fact]
    public async Task DamagedLastTwoRecords_ThrowCorruptedAtTheFirst_AndNothingIsCut()
    {
        // One bad sector can span the end of record 2 and the header of record 3. Record 2's length is intact, so its
        // extent is known, and a torn append of it would have left only zeros after it: this is damage, not a crash.
        var directory = _temp.Combine("damaged-last-two");
        var (journalPath, records, _) = await WriteCardWithThreeJournalRecordsAsync(directory);
        var journal = await File.ReadAllBytesAsync(journalPath);
        journal[(int)records[1] + JournalFormat.RecordHeaderSize + 5] ^= 0xFF;
        journal[(int)records[2] + 4] ^= 0xFF;
        await File.WriteAllBytesAsync(journalPath, journal);

        await AssertCorruptedAtAndNothingCutAsync(directory, journalPath, records[1]);
    }

    [Fact]
    public async Task LastRecordWrittenWholeThatFailsItsChecksum_ThrowsCorrupted_AndIsNotCut()
    {
        // An append overwrites zeros and a JSON payload has no zero byte: a last record with every byte written whose
        // checksum fails was acknowledged and damaged later, not torn by a crash.
        var directory = _temp.Combine("damaged-last");
        var (journalPath, records, recordsEnd) = await WriteCardWithThreeJournalRecordsAsync(directory);
        var journal = await File.ReadAllBytesAsync(journalPath);
        var last = (int)records[2];
        journal.AsSpan(last + JournalFormat.RecordHeaderSize, (int)recordsEnd - last - JournalFormat.RecordHeaderSize).Contains((byte)0)
            .Should().BeFalse("a JSON payload has no zero byte");
        journal[(last + (int)recordsEnd) / 2] ^= 0x01;
        await File.WriteAllBytesAsync(journalPath, journal);

        await AssertCorruptedAtAndNothingCutAsync(directory, journalPath, last);
    }

    [Fact]
    public async Task DamagedRecordFollowedOnlyByZerosAndPartsOfItself_IsATornTail_NotCorruption()
    {
        // A crash in the middle of writing record 3 can leave its header zero, part of its payload on disk and the rest
        // zero; nothing intact follows it, so it is the end of the journal, whatever its bytes.
        var directory = _temp.Combine("torn-middle-pages");
        var (journalPath, records, recordsEnd) = await WriteCardWithThreeJournalRecordsAsync(directory);
        var journal = await File.ReadAllBytesAsync(journalPath);
        var last = (int)records[2];
        journal.AsSpan(last, 4).Clear();
        journal.AsSpan((int)recordsEnd - 20, 10).Clear();
        await File.WriteAllBytesAsync(journalPath, journal);

        var loaded = await new FileSystemCheckpointRepository(directory).LoadAsync(CardId);
        loaded!.StageCheckpoints.Keys.Should().Equal("s-1", "s-2");
    }

    /// <summary>Where in a record a byte is flipped: the payload, its checksum, the length's checksum, or the length (low or high byte).</summary>
    public static TheoryData<string> FlippedBytePositions() =>
        ["payload", "checksum", "length-checksum", "length-low-byte", "length-high-byte"];

    [Theory]
    [MemberData(nameof(FlippedBytePositions))]
    public async Task FlippedByteInAMiddleJournalRecord_ThrowsCorruptedNamingFileAndOffset_AndNothingIsCut(string position)
    {
        var directory = _temp.Combine("flipped");
        var (journalPath, records, _) = await WriteCardWithThreeJournalRecordsAsync(directory);
        var journal = await File.ReadAllBytesAsync(journalPath);
        var middle = records[1];
        var payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(journal.AsSpan((int)middle));
        var flipAt = position switch
        {
            "payload" => middle + JournalFormat.RecordHeaderSize + (payloadLength / 2),
            "checksum" => middle + 8,
            "length-checksum" => middle + 4,
            "length-low-byte" => middle,
            "length-high-byte" => middle + 3,
            _ => throw new ArgumentOutOfRangeException(nameof(position), position, null),
        };
        journal[flipAt] ^= 0x01;
        await File.WriteAllBytesAsync(journalPath, journal);
        var snapshotPath = Path.ChangeExtension(journalPath, ".json");
        var snapshot = await File.ReadAllBytesAsync(snapshotPath);

        var repository = new FileSystemCheckpointRepository(directory);
        var error = (await repository.Invoking(r => r.LoadAsync(CardId)).Should().ThrowAsync<CheckpointCorruptedException>()).Which;
        error.Path.Should().Be(journalPath);
        error.Offset.Should().Be(middle);
        error.Message.Should().Contain(journalPath).And.Contain($"byte {middle}");

        var manager = new CheckpointManager(CardId, repository);
        await using (manager)
        {
            await manager.Invoking(m => m.ResumeAsync()).Should().ThrowAsync<CheckpointCorruptedException>();
            await manager.Invoking(m => m.CreateCheckpointAsync(3)).Should().ThrowAsync<CheckpointCorruptedException>();
        }

        (await File.ReadAllBytesAsync(journalPath)).Should().Equal(journal, "corruption before the tail is reported, never cut");
        (await File.ReadAllBytesAsync(snapshotPath)).Should().Equal(snapshot);
    }

    [Fact]
    public async Task TakingOwnership_RemovesOrphanedTempFilesOfTheCard_AndOnlyThose()
    {
        var directory = _temp.Combine("orphans");
        var repository = new FileSystemCheckpointRepository(directory);
        var setup = new CheckpointManager(CardId, repository);
        await using (setup)
        {
            await setup.CreateCheckpointAsync(2);
            await setup.SaveStageCheckpointAsync("s-1", StageStatus.Completed);
        }

        var snapshotPath = repository.GetSnapshotPath(CardId);
        var journalPath = Path.ChangeExtension(snapshotPath, ".journal");
        string[] orphans = [TempFor(snapshotPath), TempFor(journalPath)];
        var otherCards = new[] { TempFor(repository.GetSnapshotPath("OTHER")), TempFor(repository.GetSnapshotPath("ANOTHER-CARD")) };
        foreach (var file in orphans.Concat(otherCards))
        {
            await File.WriteAllTextAsync(file, "{ \"half\": ");
        }

        (await repository.LoadAsync(CardId))!.StageCheckpoints.Should().ContainKey("s-1");
        orphans.Should().OnlyContain(f => File.Exists(f), "a reader cannot know whether a writer is still writing them");

        var manager = new CheckpointManager(CardId, repository);
        await using (manager)
        {
            (await manager.ResumeAsync()).Should().NotBeNull();
            orphans.Should().NotContain(f => File.Exists(f), "the new owner removes the temp files a crashed writer left");
            otherCards.Should().OnlyContain(f => File.Exists(f), "temp files of other cards are not this owner's to remove");
        }
    }

    [Fact]
    public async Task TakingOwnership_KeepsTheTempFilesOfAnotherLiveCardWhoseIdExtendsThisOne()
    {
        // "CARD" and "CARD.v2" are both plain ids; the in-flight temp file of a compaction of "CARD.v2" (owned and
        // alive) must survive "CARD" being opened, or that owner's rename fails.
        var directory = _temp.Combine("neighbours");
        var repository = new FileSystemCheckpointRepository(directory);
        var neighbour = new CheckpointManager("CARD.v2", repository);
        await using (neighbour)
        {
            await neighbour.CreateCheckpointAsync(2);
            var inFlight = new[]
            {
                TempFor(repository.GetSnapshotPath("CARD.v2")),
                TempFor(Path.ChangeExtension(repository.GetSnapshotPath("CARD.v2"), ".journal")),
            };
            foreach (var file in inFlight)
            {
                await File.WriteAllTextAsync(file, "being written by the owner of CARD.v2");
            }

            var manager = new CheckpointManager(CardId, new FileSystemCheckpointRepository(directory));
            await using (manager)
            {
                await manager.CreateCheckpointAsync(1);
            }

            inFlight.Should().OnlyContain(f => File.Exists(f), "the owner of CARD removes only CARD's own temp files, not those of CARD.v2");
        }
    }

    [Fact]
    public async Task FilesAreCreatedWithMode0600_AndTheDirectoryWith0700()
    {
        if (OperatingSystem.IsWindows())
        {
            output.WriteLine("SKIPPED: Unix file modes do not apply on Windows.");
            return;
        }

        const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var directory = _temp.Combine("private");
        var repository = new FileSystemCheckpointRepository(directory);
        File.GetUnixFileMode(directory).Should().Be(OwnerReadWrite | UnixFileMode.UserExecute);

        var manager = new CheckpointManager(CardId, repository);
        await using (manager)
        {
            await manager.CreateCheckpointAsync(2);
            await manager.CacheLlmResponseAsync("s-1", new LlmResponse("secret prompt", "secret answer"));
            await manager.SaveStageCheckpointAsync("s-1", StageStatus.Completed);
            AssertModes(3);
            await manager.CompactAsync();
            AssertModes(3);
        }

        AssertModes(3);

        void AssertModes(int expectedFiles)
        {
            var files = Directory.GetFiles(directory);
            files.Should().HaveCount(expectedFiles);
            foreach (var file in files)
            {
                File.GetUnixFileMode(file).Should().Be(OwnerReadWrite, $"{Path.GetFileName(file)} can hold prompts and responses");
            }

            File.GetUnixFileMode(directory).Should().Be(OwnerReadWrite | UnixFileMode.UserExecute);
        }
    }

    private static async Task<bool> TryStoreAsync(FileSystemCheckpointRepository repository, string id)
    {
        try
        {
            var manager = new CheckpointManager(id, repository);
            await using (manager)
            {
                await manager.CreateCheckpointAsync(1);
                await manager.CacheLlmResponseAsync("only", new LlmResponse("prompt", "answer"));
                await manager.SaveStageCheckpointAsync("only", StageStatus.Completed, result: id);
            }

            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Every entry under <paramref name="root"/> with its size, except those inside <paramref name="excluded"/>.</summary>
    private static List<string> ListOutside(string root, string excluded) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Where(path => path != excluded && !path.StartsWith(excluded + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Select(path => File.Exists(path) ? $"{path} {new FileInfo(path).Length}" : path)
            .Order(StringComparer.Ordinal)];

    private static string Show(string id) =>
        id.Length > 24
            ? $"<{id.Length} chars: {Show(id[..8])}...>"
            : "\"" + string.Concat(id.Select(c => char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString())) + "\"";

    private static string ReplaceOnce(string text, string oldValue, string newValue)
    {
        var at = text.IndexOf(oldValue, StringComparison.Ordinal);
        at.Should().BeGreaterThanOrEqualTo(0);
        return string.Concat(text.AsSpan(0, at), newValue, text.AsSpan(at + oldValue.Length));
    }

    /// <summary>The name a crash-safe write of <paramref name="target"/> uses while it is in flight.</summary>
    private static string TempFor(string target) => $"{target}.{Guid.NewGuid():N}.tmp";

    /// <summary>A valid card written by the library and compacted: its snapshot and (header-only) journal.</summary>
    private async Task<(byte[] Snapshot, byte[] Journal)> CreateValidCardFilesAsync()
    {
        var directory = _temp.Combine("valid-" + Guid.NewGuid().ToString("N"));
        var repository = new FileSystemCheckpointRepository(directory);
        var manager = new CheckpointManager(CardId, repository);
        await using (manager)
        {
            await manager.CreateCheckpointAsync(3);
            await manager.CacheLlmResponseAsync("s-1", new LlmResponse("prompt", "answer"));
            await manager.SaveStageCheckpointAsync("s-1", StageStatus.Completed, result: new { Score = 1 });
        }

        var snapshotPath = repository.GetSnapshotPath(CardId);
        (await repository.LoadAsync(CardId)).Should().NotBeNull();
        return (await File.ReadAllBytesAsync(snapshotPath), await File.ReadAllBytesAsync(Path.ChangeExtension(snapshotPath, ".journal")));
    }

    /// <summary>
    /// A card at version 1 in its snapshot, followed by three stage records in its journal (written through the
    /// repository, so no compaction folds them): the journal path and the offsets of the three records.
    /// </summary>
    /// <summary>A reader and the next owner both get <see cref="CheckpointCorruptedException"/> at <paramref name="offset"/>, and the journal is left as it is.</summary>
    private static async Task AssertCorruptedAtAndNothingCutAsync(string directory, string journalPath, long offset)
    {
        var journal = await File.ReadAllBytesAsync(journalPath);
        (await new FileSystemCheckpointRepository(directory).Invoking(r => r.LoadAsync(CardId)).Should().ThrowAsync<CheckpointCorruptedException>())
            .Which.Offset.Should().Be(offset);
        var owner = new FileSystemCheckpointRepository(directory);
        var ownership = await owner.AcquireOwnershipAsync(CardId, TimeSpan.Zero);
        await using (ownership)
        {
            await owner.Invoking(r => r.LoadAsync(CardId)).Should().ThrowAsync<CheckpointCorruptedException>();
        }

        (await File.ReadAllBytesAsync(journalPath)).Should().Equal(journal, "records that were acknowledged are never cut");
    }

    /// <summary>Writes a snapshot and three journal records; returns the journal, the offsets of its records and the end of the last one.</summary>
    private static async Task<(string JournalPath, long[] Records, long RecordsEnd)> WriteCardWithThreeJournalRecordsAsync(string directory)
    {
        var repository = new FileSystemCheckpointRepository(directory);
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            var checkpoint = new PipelineCheckpoint
            {
                CheckpointId = $"checkpoint-{CardId}-1",
                CardId = CardId,
                CreatedAt = At,
                UpdatedAt = At,
                TotalStages = 3,
                Version = 1,
            };
            await repository.SaveAsync(checkpoint);
            for (var i = 1; i <= 3; i++)
            {
                var stage = new StageCheckpoint
                {
                    StageName = $"s-{i}",
                    Status = StageStatus.Completed,
                    StartTime = At.AddMinutes(i),
                    EndTime = At.AddMinutes(i),
                    LlmResponses = [new LlmResponse($"prompt {i}", $"an answer long enough to flip a byte in, number {i}")],
                };
                var change = new StageRecorded(checkpoint.Version + 1, At.AddMinutes(i), stage);
                var applied = new AppliedChange(checkpoint, change);
                checkpoint = applied.Checkpoint;
                await repository.SaveChangeAsync(applied);
            }
        }

        var journalPath = Path.ChangeExtension(repository.GetSnapshotPath(CardId), ".journal");
        var journal = await File.ReadAllBytesAsync(journalPath);
        var records = new List<long>();
        long end = JournalHeaderSize;
        while (end < journal.Length && BinaryPrimitives.ReadUInt32LittleEndian(journal.AsSpan((int)end)) is var length and not 0)
        {
            records.Add(end);
            end += JournalFormat.RecordHeaderSize + length;
        }

        records.Should().HaveCount(3, "three changes were appended and none compacted");
        return (journalPath, [.. records], end);
    }
}
