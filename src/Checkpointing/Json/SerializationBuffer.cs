using System.Buffers;

namespace Checkpointing.Json;

/// <summary>
/// A buffer kept per thread to serialize documents and changes into before their exact bytes are copied out. A store's
/// save serializes a change of tens of kilobytes (its LLM responses); a new buffer grown from nothing each time would
/// leave about twice that in garbage per save, and the collections that clean it up land in the saves. A buffer that
/// grew past <see cref="MaxKeptBytes"/> (a large document) is not kept.
/// </summary>
internal static class SerializationBuffer
{
    /// <summary>The largest buffer kept for the thread's next serialization.</summary>
    public const int MaxKeptBytes = 256 << 10;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_kept;

    /// <summary>Takes the thread's buffer, empty, or a new one (the thread has none while it is taken).</summary>
    public static ArrayBufferWriter<byte> Take()
    {
        var buffer = t_kept ?? new ArrayBufferWriter<byte>();
        t_kept = null;
        buffer.ResetWrittenCount();
        return buffer;
    }

    /// <summary>Gives a buffer from <see cref="Take"/> back to the thread, unless it grew too large to keep.</summary>
    public static void Return(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.Capacity <= MaxKeptBytes)
        {
            buffer.ResetWrittenCount();
            t_kept = buffer;
        }
    }
}
