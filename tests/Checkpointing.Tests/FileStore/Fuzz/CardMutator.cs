using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Checkpointing.FileStore;
using Checkpointing.Tests.Support;

namespace Checkpointing.Tests.FileStore.Fuzz;

/// <summary>
/// Damages a card the ways the hostile-input fuzzer did: bit flips, byte overwrites, truncations (anywhere and near
/// record boundaries), hostile text spliced into strings, and JSON-aware changes (a field removed or retyped, a huge
/// number, a lone surrogate) in the snapshot or in a journal record re-framed with valid checksums. Deterministic:
/// the same seed gives the same mutant.
/// </summary>
public static class CardMutator
{
    /// <summary>Stands for a lone surrogate escape, which no JSON writer produces: replaced in the serialized text.</summary>
    private const string LoneSurrogate = "\u0001LONE\u0001";

    private static readonly string[] SplicedTexts = ["\\ud800", "\\udc00x", "\"", "\\", "\u00ff", "9999999999999999999999", "-", "\"x\":1,", "{", "]"];

    private static readonly Func<JsonNode?>[] HostileValues =
    [
        () => null, () => "12", () => "", () => " ", () => LoneSurrogate, () => JsonValue.Create(long.MaxValue),
        () => JsonValue.Create(long.MinValue), () => JsonValue.Create(int.MaxValue), () => JsonValue.Create(-1),
        () => JsonValue.Create(decimal.MaxValue), () => JsonValue.Create(1e300), () => JsonValue.Create(0.5), () => new JsonArray(),
        () => new JsonObject(), () => true, () => "completed", () => "/dev/zero",
    ];

    /// <summary>Returns a damaged copy of the card and says what was done.</summary>
    public static (byte[] Snapshot, byte[]? Journal, string What) Mutate(FuzzCard card, int seed)
    {
        var random = new Random(seed);
        var inJournal = card.Journal is not null && random.Next(2) == 0;
        var target = inJournal ? card.Journal! : card.Snapshot;
        var (mutated, what) = random.Next(6) switch
        {
            0 => FlipBit(target, random),
            1 => SetByte(target, random),
            2 => inJournal ? TruncateNearRecord(target, random) : Truncate(target, random),
            3 => Splice(target, random, inJournal),
            _ => inJournal ? MutateRecord(target, random) : MutateJson(target, random),
        };

        return inJournal
            ? (card.Snapshot, mutated, "journal: " + what)
            : (mutated, card.Journal, "snapshot: " + what);
    }

    private static (byte[], string) FlipBit(byte[] bytes, Random random)
    {
        var copy = (byte[])bytes.Clone();
        var at = random.Next(copy.Length);
        var bit = random.Next(8);
        copy[at] ^= (byte)(1 << bit);
        return (copy, $"bit {bit} of byte {at} flipped");
    }

    private static (byte[], string) SetByte(byte[] bytes, Random random)
    {
        var copy = (byte[])bytes.Clone();
        var at = random.Next(copy.Length);
        var value = (byte)(random.Next(3) switch { 0 => 0, 1 => 0xFF, _ => random.Next(256) });
        copy[at] = value;
        return (copy, $"byte {at} set to 0x{value:X2}");
    }

    private static (byte[], string) Truncate(byte[] bytes, Random random)
    {
        var length = random.Next(bytes.Length);
        return (bytes[..length], $"cut to {length} bytes");
    }

    private static (byte[], string) TruncateNearRecord(byte[] journal, Random random)
    {
        var boundaries = RecordOffsets(journal).Append((int)DamagedCard.RecordsEnd(journal)).ToList();
        var length = Math.Clamp(boundaries[random.Next(boundaries.Count)] + random.Next(-13, 14), 0, journal.Length);
        return (journal[..length], $"cut to {length} bytes, near a record boundary");
    }

    private static (byte[], string) Splice(byte[] bytes, Random random, bool inJournal)
    {
        var text = SplicedTexts[random.Next(SplicedTexts.Length)];
        var quotes = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] == (byte)'"').ToList();
        var at = quotes.Count > 0 ? quotes[random.Next(quotes.Count)] + 1 : random.Next(bytes.Length);
        var insert = Encoding.UTF8.GetBytes(text);
        byte[] spliced = [.. bytes[..at], .. insert, .. bytes[at..]];
        if (inJournal && RecordContaining(bytes, at) is { } record)
        {
            // Keep the record's checksums valid, as a forged record would.
            var payload = spliced.AsSpan(record.Offset + JournalFormat.RecordHeaderSize, record.Length + insert.Length).ToArray();
            spliced = [.. bytes[..record.Offset], .. PythonStyleCard.Record(payload), .. bytes[(record.Offset + JournalFormat.RecordHeaderSize + record.Length)..]];
        }

        return (spliced, $"'{text}' spliced in at {at}");
    }

    private static (byte[], string) MutateJson(byte[] document, Random random)
    {
        var root = JsonNode.Parse(document)!;
        var what = MutateNode(root, random);
        return (Serialize(root), what);
    }

    private static (byte[], string) MutateRecord(byte[] journal, Random random)
    {
        var records = RecordOffsets(journal).ToList();
        if (records.Count == 0)
        {
            return FlipBit(journal, random);
        }

        var offset = records[random.Next(records.Count)];
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(journal.AsSpan(offset));
        var root = JsonNode.Parse(journal.AsSpan(offset + JournalFormat.RecordHeaderSize, length))!;
        var what = MutateNode(root, random);
        byte[] rebuilt = [.. journal[..offset], .. PythonStyleCard.Record(Serialize(root)), .. journal[(offset + JournalFormat.RecordHeaderSize + length)..]];
        return (rebuilt, $"record at {offset} re-framed with valid checksums after {what}");
    }

    /// <summary>Removes or retypes one field or item, anywhere in the tree.</summary>
    private static string MutateNode(JsonNode root, Random random)
    {
        var slots = new List<(JsonNode Parent, string? Key, int Index, string Path)>();
        Collect(root, "$", slots);
        if (slots.Count == 0)
        {
            return "nothing to change";
        }

        var (parent, key, index, path) = slots[random.Next(slots.Count)];
        var remove = random.Next(4) == 0;
        var value = HostileValues[random.Next(HostileValues.Length)]();
        switch (parent)
        {
            case JsonObject obj when remove:
                obj.Remove(key!);
                return $"{path} removed";
            case JsonObject obj:
                obj[key!] = value;
                return $"{path} set to {Show(value)}";
            case JsonArray array when remove:
                array.RemoveAt(index);
                return $"{path} removed";
            case JsonArray array:
                array[index] = value;
                return $"{path} set to {Show(value)}";
            default:
                return "nothing changed";
        }
    }

    private static void Collect(JsonNode node, string path, List<(JsonNode, string?, int, string)> slots)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToList())
                {
                    slots.Add((obj, key, -1, $"{path}.{key}"));
                    if (child is not null)
                    {
                        Collect(child, $"{path}.{key}", slots);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    slots.Add((array, null, i, $"{path}[{i}]"));
                    if (array[i] is { } child)
                    {
                        Collect(child, $"{path}[{i}]", slots);
                    }
                }

                break;
        }
    }

    private static byte[] Serialize(JsonNode root) =>
        Encoding.UTF8.GetBytes(root.ToJsonString().Replace("\\u0001LONE\\u0001", "\\ud800", StringComparison.Ordinal));

    private static string Show(JsonNode? value) => value is null ? "null" : value.ToJsonString().Replace("\\u0001LONE\\u0001", "\\ud800", StringComparison.Ordinal);

    private static IEnumerable<int> RecordOffsets(byte[] journal)
    {
        var offset = JournalFormat.HeaderSize;
        while (offset + JournalFormat.RecordHeaderSize <= journal.Length && BinaryPrimitives.ReadUInt32LittleEndian(journal.AsSpan(offset)) is var length
            && length != 0 && offset + JournalFormat.RecordHeaderSize + length <= journal.Length)
        {
            yield return offset;
            offset += JournalFormat.RecordHeaderSize + (int)length;
        }
    }

    private static (int Offset, int Length)? RecordContaining(byte[] journal, int at)
    {
        foreach (var offset in RecordOffsets(journal))
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(journal.AsSpan(offset));
            if (at > offset + JournalFormat.RecordHeaderSize && at <= offset + JournalFormat.RecordHeaderSize + length)
            {
                return (offset, length);
            }
        }

        return null;
    }
}
