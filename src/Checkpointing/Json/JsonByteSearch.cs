using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Checkpointing.Json;

/// <summary>
/// The byte searches that <see cref="LlmTextSkeleton"/> runs over nearly every byte of a stored document, 16 bytes at a
/// time. The framework's own searches (<c>IndexOfAny</c> with values or <c>SearchValues</c>) pick Vector256 or Vector512
/// code at run time, which a ReadyToRun image cannot hold: a fresh process compiled them on first use and ran them as
/// unoptimized tier-0 code for its whole first resume, millions of calls. These use Vector128 only (SSE2 on x64, AdvSimd
/// on arm64), so the package's images hold them precompiled and optimized.
/// </summary>
/// <remarks>
/// Three loops of the same shape, not one generic over the bytes to match (a struct with static abstract members):
/// crossgen2 leaves that generic out of the image, and a fresh process ran it as tier-0 code again (measured).
/// </remarks>
internal static class JsonByteSearch
{
    /// <summary>Returns the index of the first <c>"</c> or <c>\</c> in <paramref name="utf8"/>, or -1.</summary>
    public static int IndexOfQuoteOrBackslash(ReadOnlySpan<byte> utf8)
    {
        ref var start = ref MemoryMarshal.GetReference(utf8);
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var quote = Vector128.Create((byte)'"');
            var backslash = Vector128.Create((byte)'\\');
            for (; i <= utf8.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                var block = Vector128.LoadUnsafe(ref start, (nuint)i);
                var found = (Vector128.Equals(block, quote) | Vector128.Equals(block, backslash)).ExtractMostSignificantBits();
                if (found != 0)
                {
                    return i + BitOperations.TrailingZeroCount(found);
                }
            }
        }

        for (; i < utf8.Length; i++)
        {
            if (utf8[i] is (byte)'"' or (byte)'\\')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Returns the index of the first byte below 0x20 (a control character, which a JSON string may not hold as is), or -1.</summary>
    public static int IndexOfControl(ReadOnlySpan<byte> utf8)
    {
        ref var start = ref MemoryMarshal.GetReference(utf8);
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var space = Vector128.Create((byte)0x20);
            for (; i <= utf8.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                var found = Vector128.LessThan(Vector128.LoadUnsafe(ref start, (nuint)i), space).ExtractMostSignificantBits();
                if (found != 0)
                {
                    return i + BitOperations.TrailingZeroCount(found);
                }
            }
        }

        for (; i < utf8.Length; i++)
        {
            if (utf8[i] < 0x20)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Returns the index of the first of <c>" { } [ ] ,</c> (where a JSON token outside a string may start or end), or -1.</summary>
    public static int IndexOfStructural(ReadOnlySpan<byte> utf8)
    {
        ref var start = ref MemoryMarshal.GetReference(utf8);
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            // '{' and '[' are 0x7B and 0x5B, '}' and ']' 0x7D and 0x5D: with bit 0x20 cleared, each pair is one byte.
            var caseBit = Vector128.Create((byte)0x20);
            var open = Vector128.Create((byte)'[');
            var close = Vector128.Create((byte)']');
            var quote = Vector128.Create((byte)'"');
            var comma = Vector128.Create((byte)',');
            for (; i <= utf8.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                var block = Vector128.LoadUnsafe(ref start, (nuint)i);
                var folded = Vector128.AndNot(block, caseBit);
                var found = (Vector128.Equals(folded, open) | Vector128.Equals(folded, close)
                    | Vector128.Equals(block, quote) | Vector128.Equals(block, comma)).ExtractMostSignificantBits();
                if (found != 0)
                {
                    return i + BitOperations.TrailingZeroCount(found);
                }
            }
        }

        for (; i < utf8.Length; i++)
        {
            if (IsStructural(utf8[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Whether <paramref name="value"/> is one of <c>" { } [ ] ,</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsStructural(byte value) => value is (byte)'"' or (byte)'{' or (byte)'}' or (byte)'[' or (byte)']' or (byte)',';
}
