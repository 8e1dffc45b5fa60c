using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace Checkpointing.Json;

/// <summary>
/// Parsing and typed field access for stored JSON: every problem becomes a <see cref="CheckpointCorruptedException"/>
/// naming the file, the byte offset where known, and the field.
/// </summary>
internal static class JsonFields
{
    /// <summary>The deepest nesting accepted; deeper documents are refused as corrupt.</summary>
    public const int MaxDepth = 64;

    /// <summary>The size from which a document's texts are cut out while its UTF-8 is checked, on two threads.</summary>
    private const int SideBySideBytes = 1 << 20;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = MaxDepth,
#if NET9_0_OR_GREATER
        AllowDuplicateProperties = false,
#endif
    };

    /// <summary>
    /// Parses bytes into a document as <see cref="Parse(ReadOnlyMemory{byte}, in JsonReadContext)"/> does. With
    /// <see cref="JsonReadContext.DeferResponseText"/>, parses the document's skeleton instead when it has LLM texts
    /// (<see cref="LlmTextSkeleton"/>): <paramref name="texts"/> then holds them, to read with and dispose after.
    /// </summary>
    /// <param name="utf8">The document.</param>
    /// <param name="context">Where it came from.</param>
    /// <param name="change">Whether the document is a journal record's change rather than a checkpoint.</param>
    /// <param name="texts">The texts cut out of the parsed skeleton, or <see langword="null"/> when the document itself was parsed.</param>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, in JsonReadContext context, bool change, out LlmTextSkeleton? texts)
    {
        texts = null;
        if (!context.DeferResponseText)
        {
            return Parse(utf8, context);
        }

        // Cutting out the texts and checking the UTF-8 are two passes over the same bytes: for a large document (a
        // snapshot; journal records are read in parallel already) they run side by side.
        // Stryker disable once all : side by side or in turn, the same skeleton and the same offset; only the time differs
        var (built, undecodable) = utf8.Length >= SideBySideBytes ? CutOutSideBySide(utf8, change) : CutOutInTurn(utf8, change);
        if (built is { } skeleton)
        {
            JsonDocument? document = null;
            try
            {
                document = JsonDocument.Parse(skeleton.Bytes, DocumentOptions);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                // The document is damaged: parsed whole below, for the error the format promises.
            }

            if (document is not null)
            {
                if (undecodable == -1)
                {
                    texts = skeleton;
                    return document;
                }

                // Stryker disable once Statement : returns pooled memory only
                document.Dispose();
            }

            // Stryker disable once Statement : returns pooled memory only
            skeleton.Dispose();
        }

        // Nothing to cut out, or damage (a syntax error or an undecodable string): the whole parse reports it.
        return Parse(utf8, context);
    }

    /// <summary>Cuts out the texts, then checks the UTF-8 when there are any (a document without is parsed whole, which checks it).</summary>
    private static (LlmTextSkeleton? Skeleton, long Undecodable) CutOutInTurn(ReadOnlyMemory<byte> utf8, bool change)
    {
        var skeleton = LlmTextSkeleton.TryBuild(utf8, change);
        return (skeleton, skeleton is null ? -1 : JsonTextValidation.FindUndecodable(utf8.Span, out _));
    }

    /// <summary>Cuts out the texts and checks the UTF-8 on two threads.</summary>
    private static (LlmTextSkeleton? Skeleton, long Undecodable) CutOutSideBySide(ReadOnlyMemory<byte> utf8, bool change)
    {
        LlmTextSkeleton? skeleton = null;
        // Stryker disable once Unary : Parallel.Invoke sets it
        long undecodable = -1;
        Parallel.Invoke(() => skeleton = LlmTextSkeleton.TryBuild(utf8, change), () => undecodable = JsonTextValidation.FindUndecodable(utf8.Span, out _));
        return (skeleton, undecodable);
    }

    /// <summary>Parses bytes into a document, turning every syntax problem into <see cref="CheckpointCorruptedException"/>.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, in JsonReadContext context)
    {
        RefuseEmptyOrMarked(utf8, context);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, DocumentOptions);
        }
        catch (JsonException ex)
        {
            if (ex.LineNumber is { } line && ex.BytePositionInLine is { } column)
            {
                var offset = (context.Offset ?? 0) + OffsetOf(utf8.Span, line, column);
                throw new CheckpointCorruptedException(context.File, offset, $"not valid JSON (line {line + 1}, byte {column + 1} of the line): {ex.Message}", ex);
            }

            // Stryker disable once String : defensive: the parser's JsonException always carries a line and a byte in it
            throw new CheckpointCorruptedException(context.File, context.Offset, $"not valid JSON: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // Comparing property names for duplicates (.NET 9 and later) decodes them: one that cannot be decoded fails
            // here, and the check of every string finds it again.
            var at = JsonTextValidation.FindUndecodable(utf8.Span, out var decodeProblem);
            // Stryker disable once Block,String,Statement : defensive: every name the parser cannot decode is one the check finds
            if (at < 0)
            {
                throw new CheckpointCorruptedException(context.File, context.Offset, $"a property name cannot be decoded: {ex.Message}", ex);
            }

            throw new CheckpointCorruptedException(context.File, (context.Offset ?? 0) + at, decodeProblem!, ex);
        }

        // Strings are decoded later (prompts and responses only when first read): refuse now what could not be decoded then.
        var undecodable = JsonTextValidation.FindUndecodable(utf8.Span, out var problem);
        if (undecodable != -1)
        {
            // Stryker disable once Statement : returns pooled memory only
            document.Dispose();
            throw new CheckpointCorruptedException(context.File, (context.Offset ?? 0) + undecodable, problem!);
        }

        return document;
    }

    private static void RefuseEmptyOrMarked(ReadOnlyMemory<byte> utf8, in JsonReadContext context)
    {
        if (utf8.Length == 0)
        {
            throw context.Corrupt("document", "the file is empty (zero bytes)");
        }

        if (utf8.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            throw context.Corrupt("document", "the file starts with a UTF-8 byte order mark, which checkpoint files never have");
        }
    }

    /// <summary>Turns the zero-based line and byte-in-line of a JSON error into a byte offset in the document.</summary>
    internal static long OffsetOf(ReadOnlySpan<byte> utf8, long line, long column)
    {
        long offset = 0;
        for (var i = 0L; i < line; i++)
        {
            var newline = utf8[(int)offset..].IndexOf((byte)'\n');
            // Stryker disable once Block,Statement : without the break, each remaining line adds 0 (newline + 1)
            if (newline < 0)
            {
                break;
            }

            offset += newline + 1;
        }

        return Math.Min(offset + column, utf8.Length);
    }

    /// <summary>Reads a required string.</summary>
    public static string GetString(JsonElement value, string field, in JsonReadContext context) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw context.WrongType(field, "a string", value);

    /// <summary>Reads a string or null.</summary>
    public static string? GetNullableString(JsonElement value, string field, in JsonReadContext context) =>
        value.ValueKind == JsonValueKind.Null ? null : GetString(value, field, context);

    /// <summary>Reads an integer.</summary>
    public static long GetInt64(JsonElement value, string field, in JsonReadContext context) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
            ? number
            : throw context.WrongType(field, "an integer", value);

    /// <summary>Reads a timestamp; one without an offset is the writer's local time, as the Python manager wrote them.</summary>
    public static DateTimeOffset GetTimestamp(JsonElement value, string field, in JsonReadContext context)
    {
        var text = GetString(value, field, context);
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var timestamp)
            ? timestamp
            : throw context.Corrupt(field, $"'{text}' is not an ISO 8601 timestamp");
    }

    internal static ImmutableList<string> GetStrings(JsonElement value, string field, in JsonReadContext context)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return ImmutableList<string>.Empty;
        }

        RequireKind(value, JsonValueKind.Array, field, "an array of strings", context);
        var builder = ImmutableList.CreateBuilder<string>();
        foreach (var item in value.EnumerateArray())
        {
            builder.Add(GetString(item, field + "[]", context));
        }

        return builder.ToImmutable();
    }

    internal static IReadOnlyDictionary<string, JsonElement> GetMap(JsonElement value, string field, in JsonReadContext context)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return ImmutableDictionary<string, JsonElement>.Empty;
        }

        RequireKind(value, JsonValueKind.Object, field, "an object", context);
        var fields = new FieldSet(context, field);
        foreach (var property in value.EnumerateObject())
        {
            fields.AddUnknown(property.Name, property.Value);
        }

        return fields.Unknown;
    }

    internal static int GetInt32(JsonElement value, string field, in JsonReadContext context) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : throw context.WrongType(field, "a 32-bit integer", value);

    /// <summary>Reads a stage name: a string that is not empty or white space (the manager accepts no other).</summary>
    internal static string GetStageName(JsonElement value, string field, in JsonReadContext context)
    {
        var name = GetString(value, field, context);
        return string.IsNullOrWhiteSpace(name) ? throw context.Corrupt(field, "a stage name is empty or white space") : name;
    }

    /// <summary>Reads a stage name or null.</summary>
    internal static string? GetNullableStageName(JsonElement value, string field, in JsonReadContext context) =>
        value.ValueKind == JsonValueKind.Null ? null : GetStageName(value, field, context);

    /// <summary>Reads stage names.</summary>
    internal static ImmutableList<string> GetStageNames(JsonElement value, string field, in JsonReadContext context)
    {
        var names = GetStrings(value, field, context);
        return names.Exists(string.IsNullOrWhiteSpace) ? throw context.Corrupt(field, "a stage name is empty or white space") : names;
    }

    /// <summary>Reads a counter the library adds one to (resumes, retries): from 0, below <see cref="int.MaxValue"/>.</summary>
    internal static int GetCounter(JsonElement value, string field, in JsonReadContext context)
    {
        var count = GetInt32(value, field, context);
        return count is >= 0 and < int.MaxValue ? count : throw context.Corrupt(field, $"{count} is not a count the library can go on from");
    }

    /// <summary>Reads a version: from 0, below <see cref="long.MaxValue"/> (the next change must have a version too).</summary>
    internal static long GetVersion(JsonElement value, string field, in JsonReadContext context)
    {
        var version = GetInt64(value, field, context);
        return version is >= 0 and < long.MaxValue ? version : throw context.Corrupt(field, $"{version} is not a version the library can go on from");
    }

    /// <summary>
    /// Reads a number of seconds (null is zero), to the nearest tick. The writer writes <see cref="TimeSpan.TotalSeconds"/>,
    /// so <see cref="TimeSpan.MaxValue"/> comes back as 2^63 ticks, one past what a <see langword="long"/> holds: it is read
    /// as <see cref="TimeSpan.MaxValue"/> (.NET 8 converts it to <see cref="long.MinValue"/>), and anything larger is refused.
    /// </summary>
    internal static TimeSpan GetSeconds(JsonElement value, string field, in JsonReadContext context)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return TimeSpan.Zero;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var seconds) || !double.IsFinite(seconds)
            || Math.Abs(seconds) > TimeSpan.MaxValue.TotalSeconds)
        {
            throw context.WrongType(field, "a number of seconds", value);
        }

        var ticks = Math.Round(seconds * TimeSpan.TicksPerSecond);
        // Stryker disable once Equality,Block : .NET 9 and later (where this is mutated) convert 2^63 to long.MaxValue too
        if (ticks >= long.MaxValue)
        {
            return TimeSpan.MaxValue;
        }

        return TimeSpan.FromTicks((long)ticks);
    }

    internal static DateTimeOffset? GetNullableTimestamp(JsonElement value, string field, in JsonReadContext context) =>
        value.ValueKind == JsonValueKind.Null ? null : GetTimestamp(value, field, context);

    internal static void RequireKind(JsonElement value, JsonValueKind kind, string field, string expected, in JsonReadContext context)
    {
        if (value.ValueKind != kind)
        {
            throw context.WrongType(field, expected, value);
        }
    }
}
