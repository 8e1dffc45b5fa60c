using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Checkpointing.Json;

/// <summary>
/// A stored document with its LLM texts (the <c>prompt</c> and <c>response</c> strings of its LLM responses) cut out:
/// the same bytes with each text replaced by a placeholder string holding the text's number. Parsing the skeleton
/// instead of the document skips the texts, which are nearly all of a long run's bytes and, full of escaped newlines
/// and quotes, the slowest part of a JSON parse. Each text was checked here to be a valid JSON string (escapes and
/// control characters; <see cref="JsonTextValidation"/> checks the UTF-8 of the whole document) and stays in the
/// document's bytes as a <see cref="StoredJsonString"/>, decoded on first read.
/// </summary>
/// <remarks>
/// The skeleton has the document's tokens with only the texts' contents changed, so it is valid JSON exactly when the
/// document is. Anything this pass does not expect (a text that is not a valid string, an escaped property name, nesting
/// deeper than allowed) makes <see cref="TryBuild"/> return <see langword="null"/>: the caller then parses the
/// document itself, which reports any damage the usual way.
/// </remarks>
internal sealed class LlmTextSkeleton : IDisposable
{
    private readonly ReadOnlyMemory<byte> _document;
    private readonly List<(int Start, int Length)> _texts;
    private byte[] _skeleton;
    private int _length;

    private LlmTextSkeleton(ReadOnlyMemory<byte> document, int capacity)
    {
        _document = document;
        _texts = new List<(int, int)>(document.Length / 2048);
        _skeleton = ArrayPool<byte>.Shared.Rent(capacity);
    }

    /// <summary>Where a container sits in the document, as far as finding LLM responses goes.</summary>
    private enum Role : byte
    {
        Other,
        Snapshot,
        Change,
        StageMap,
        PendingMap,
        Stage,
        ResponseList,
        Response,
    }

    /// <summary>Gets the skeleton's bytes.</summary>
    public ReadOnlyMemory<byte> Bytes => _skeleton.AsMemory(0, _length);

    /// <summary>
    /// Cuts the LLM texts out of a checkpoint document (<paramref name="change"/> false) or a journal record's change.
    /// Returns <see langword="null"/> when there is none or when the document is not as expected.
    /// </summary>
    public static LlmTextSkeleton? TryBuild(ReadOnlyMemory<byte> document, bool change)
    {
        // Stryker disable once all : an initial capacity (the skeleton grows as needed), which changes no result
        var skeleton = new LlmTextSkeleton(document, Math.Max(256, document.Length / 16));
        if (skeleton.Scan(change ? Role.Change : Role.Snapshot) && skeleton._texts.Count > 0)
        {
            return skeleton;
        }

        // Stryker disable once Statement : returns a buffer to the shared pool, which changes no result
        skeleton.Dispose();
        return null;
    }

    /// <summary>Gives the text a placeholder of the skeleton stands for.</summary>
    /// <exception cref="InvalidOperationException">The element is not a placeholder of this skeleton.</exception>
    public StoredJsonString Resolve(JsonElement placeholder)
    {
        if (!int.TryParse(placeholder.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var index) || (uint)index >= (uint)_texts.Count)
        {
            throw new InvalidOperationException("An LLM text of the parsed document has no placeholder in its skeleton.");
        }

        var (start, length) = _texts[index];
        return new StoredJsonString(_document.Slice(start, length));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // Stryker disable once Statement : returns a buffer to the shared pool, which changes no result
        ArrayPool<byte>.Shared.Return(_skeleton);
        _skeleton = [];
        _length = 0;
    }

    /// <summary>
    /// One pass over the document: tracks the containers and property names that lead to LLM responses, copies
    /// everything but their texts, and checks each text it cuts. Outside strings only structure matters here; the parse
    /// of the skeleton checks the rest.
    /// </summary>
    /// <remarks>
    /// Not marked AggressiveOptimization, unlike <see cref="StringEnd"/>: crossgen2 leaves such methods out of the
    /// ReadyToRun image, so a fresh process would JIT this large one (and the helpers only it calls) before its first
    /// resume. Precompiled, it runs optimized from the first call; without an image, on-stack replacement optimizes its
    /// loop, which runs once per document.
    /// </remarks>
    private bool Scan(Role root)
    {
        var utf8 = _document.Span;
        Span<Role> roles = stackalloc Role[JsonFields.MaxDepth];
        Span<bool> inObject = stackalloc bool[JsonFields.MaxDepth];
        var depth = 0;
        // Stryker disable once Boolean : differs only for a string before the root container, not JSON, which the caller then parses whole either way
        var expectKey = false;
        (int Start, int Length) key = default;
        var copied = 0;
        var position = 0;
        while (true)
        {
            var found = JsonByteSearch.IndexOfStructural(utf8[position..]);
            if (found < 0)
            {
                Append(utf8[copied..]);
                return depth == 0;
            }

            position += found;
            switch (utf8[position])
            {
                case (byte)'{' or (byte)'[':
                    if (depth == roles.Length)
                    {
                        return false;
                    }

                    var isObject = utf8[position] == (byte)'{';
                    roles[depth] = depth == 0
                        ? (isObject ? root : Role.Other)
                        : ChildRole(roles[depth - 1], utf8.Slice(key.Start, key.Length), isObject);
                    inObject[depth++] = isObject;
                    expectKey = isObject;
                    position++;
                    break;
                case (byte)'}' or (byte)']':
                    if (depth == 0)
                    {
                        return false;
                    }

                    depth--;

                    // Stryker disable once Boolean : only ',' or a closing bracket may follow (each sets it again); anything else is not JSON, which the caller then parses whole either way
                    expectKey = false;
                    position++;
                    break;
                case (byte)',':
                    expectKey = depth > 0 && inObject[depth - 1];
                    position++;
                    break;
                default: // a string
                    var isText = !expectKey && depth > 0 && roles[depth - 1] == Role.Response && IsTextName(utf8.Slice(key.Start, key.Length));
                    var end = StringEnd(utf8, position, isText);
                    // Stryker disable once Equality : a string's end is past its opening quote, never 0
                    if (end < 0)
                    {
                        return false;
                    }

                    if (expectKey)
                    {
                        key = (position + 1, end - position - 1);
                        if (JsonByteSearch.IndexOfQuoteOrBackslash(utf8.Slice(key.Start, key.Length)) >= 0) // no quote within
                        {
                            return false; // an escaped name: leave it to the parser to read
                        }

                        expectKey = false;
                    }
                    else if (isText)
                    {
                        Append(utf8[copied..position]);
                        AppendPlaceholder(_texts.Count);
                        _texts.Add((position, end + 1 - position));
                        copied = end + 1;
                    }

                    position = end + 1;
                    break;
            }
        }
    }

    /// <summary>The role of a container opened as the value of <paramref name="name"/> (or as an array item) in a container of role <paramref name="parent"/>.</summary>
    private static Role ChildRole(Role parent, ReadOnlySpan<byte> name, bool isObject) => parent switch
    {
        Role.Snapshot when isObject && name.SequenceEqual("stage_checkpoints"u8) => Role.StageMap,
        Role.Snapshot when isObject && name.SequenceEqual("pending_llm_responses"u8) => Role.PendingMap,
        Role.Change when isObject && name.SequenceEqual("stage"u8) => Role.Stage,
        Role.Change when isObject && name.SequenceEqual("response"u8) => Role.Response,
        Role.StageMap when isObject => Role.Stage,
        Role.Stage when !isObject && name.SequenceEqual("llm_responses"u8) => Role.ResponseList,
        Role.PendingMap when !isObject => Role.ResponseList,
        Role.ResponseList when isObject => Role.Response,
        _ => Role.Other,
    };

    private static bool IsTextName(ReadOnlySpan<byte> name) => name.SequenceEqual("prompt"u8) || name.SequenceEqual("response"u8);

    /// <summary>
    /// Finds the closing quote of the string that starts at <paramref name="start"/>; -1 when there is none, or, when
    /// <paramref name="check"/> is set, when the string holds a control character or an escape JSON does not allow.
    /// </summary>
    /// <remarks>
    /// AggressiveOptimization, so not in the ReadyToRun image: a fresh process JITs this small method, at full opts.
    /// Called once per string, it would otherwise run as tier-0 code for a whole resume wherever there is no image
    /// (its loop ends within each call, so on-stack replacement does not help).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int StringEnd(ReadOnlySpan<byte> utf8, int start, bool check)
    {
        var position = start + 1;
        while (true)
        {
            var found = JsonByteSearch.IndexOfQuoteOrBackslash(utf8[position..]);
            if (found < 0)
            {
                return -1;
            }

            position += found;
            if (utf8[position] == (byte)'"')
            {
                break;
            }

            if (check && !IsValidEscape(utf8[(position + 1)..]))
            {
                return -1;
            }

            position += 2;

            // Stryker disable once Equality : at the very end, the search for the closing quote finds none either
            if (position >= utf8.Length)
            {
                return -1;
            }
        }

        return check && JsonByteSearch.IndexOfControl(utf8[(start + 1)..position]) >= 0 ? -1 : position;
    }

    /// <summary>Whether the bytes after a backslash make an escape JSON allows: one of <c>"\/bfnrt</c>, or <c>u</c> and four hex digits.</summary>
    /// <remarks>Inlined into <see cref="StringEnd"/>, which a fresh process compiles at full opts: on its own it ran as tier-0 code, once per escape.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsValidEscape(ReadOnlySpan<byte> escape) => escape.Length > 0 && escape[0] switch
    {
        (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t' => true,
        (byte)'u' => escape.Length > 4 && IsHexDigit(escape[1]) && IsHexDigit(escape[2]) && IsHexDigit(escape[3]) && IsHexDigit(escape[4]),
        _ => false,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsHexDigit(byte value) => char.IsAsciiHexDigit((char)value);

    private void AppendPlaceholder(int index)
    {
        Span<byte> placeholder = stackalloc byte[12];
        placeholder[0] = (byte)'"';
        index.TryFormat(placeholder[1..], out var digits, default, CultureInfo.InvariantCulture);
        placeholder[digits + 1] = (byte)'"';
        Append(placeholder[..(digits + 2)]);
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        // Stryker disable once Equality : growing a full buffer early changes no result
        if (_length + bytes.Length > _skeleton.Length)
        {
            // Stryker disable once Arithmetic : a capacity, at least what is needed either way
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_skeleton.Length * 2, _length + bytes.Length));
            _skeleton.AsSpan(0, _length).CopyTo(larger);
            // Stryker disable once Statement : returns a buffer to the shared pool, which changes no result
            ArrayPool<byte>.Shared.Return(_skeleton);
            _skeleton = larger;
        }

        bytes.CopyTo(_skeleton.AsSpan(_length));
        _length += bytes.Length;
    }
}
