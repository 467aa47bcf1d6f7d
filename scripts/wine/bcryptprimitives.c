/* ProcessPrng for Wine before 8.13, which lacks bcryptprimitives.dll (Debian 12 ships Wine 8.0).
 *
 * Rust's standard library (1.78 and later) takes its random seeds from ProcessPrng in
 * bcryptprimitives.dll, present on every Windows 10 and 11. Without it no Rust program starts
 * under such a Wine ("Library bcryptprimitives.dll ... not found"). scripts/wine_check.sh builds
 * this file with mingw-w64 into the test's own Wine prefix when the prefix has no such DLL; it is
 * never shipped and never used on Windows. ProcessPrng fills the buffer and always succeeds, as
 * documented; RtlGenRandom (advapi32's SystemFunction036) takes at most 2^32-1 bytes per call. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG part = length > 0x7fffffffu ? 0x7fffffffu : (ULONG)length;
        if (!SystemFunction036(data, part)) {
            return FALSE;
        }
        data += part;
        length -= part;
    }
    return TRUE;
}
