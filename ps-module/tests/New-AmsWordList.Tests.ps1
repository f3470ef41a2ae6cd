#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of New-AmsWordList, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'New-AmsWordList' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'imports a file by its full path' {
        $null = New-AmsWordList -Name 'German' -File 'de.txt' -Language de
        $call = Get-AmsStubCall
        $call.Argv[0..4] -join ' ' | Should -BeExactly 'word-list new --name German --file'
        [System.IO.Path]::IsPathRooted($call.Argv[5]) | Should -BeTrue
        $call.Argv[5] | Should -BeLike '*de.txt'
        $call.Argv[6..7] -join ' ' | Should -BeExactly '--language de'
    }

    It 'does not run ams under -WhatIf' {
        New-AmsWordList -Name 'German' -File 'de.txt' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
